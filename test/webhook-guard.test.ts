// The SSRF guard, on by default: loopback, private, link-local, CGNAT, multicast and other
// non-public destinations are refused at connect time, recorded as "destination not allowed".
// Every address here is loopback, or appears only where no connection can be made.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookSender } from "../src/modules/webhooks/webhook-sender.js";
import { expectOk } from "./support/assertions.js";
import { createOrg, createStack } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { sleep, WebhookReceiver } from "./support/webhook-receiver.js";

let server: TestServer;
let receiver: WebhookReceiver;
beforeAll(async () => {
  server = await startTestServer({ WEBHOOK_RETRY_SCHEDULE: "50ms,100ms" }); // guard on (the default)
  receiver = await new WebhookReceiver().start();
});
afterAll(async () => {
  await receiver.stop();
  await server.close();
});

const PING = `mutation ($org: String!, $name: String!) { pingWebhook(input: { organization: $org, name: $name }) { responseCode error requestUrl } }`;

describe("with the guard on", () => {
  it("refuses loopback targets at once (ping), whatever the spelling, and sends nothing", async () => {
    const org = await createOrg(server);
    const targets = [
      `http://127.0.0.1:${receiver.port}/a`,
      `http://127.3.4.5:${receiver.port}/b`,
      `http://localhost:${receiver.port}/c`,
      `http://[::1]:${receiver.port}/d`,
      `http://0.0.0.0:${receiver.port}/e`,
    ];
    for (const [i, payloadUrl] of targets.entries()) {
      const name = `t${i}`;
      // creating accepts any http(s) URL: the check is made at delivery
      expectOk(
        await server.gql(
          `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }`,
          { input: { organization: org.name, name, payloadUrl } },
          { token: org.admin.token },
        ),
      );
      const res = await server.gql(PING, { org: org.name, name }, { token: org.admin.token });
      expect(res.body.data!.pingWebhook, payloadUrl).toEqual({
        responseCode: null,
        error: "destination not allowed",
        requestUrl: payloadUrl,
      });
    }
    expect(receiver.received).toEqual([]);
  });

  it("refuses them end to end too (events through the dispatcher), with retries recorded", async () => {
    const org = await createOrg(server);
    await server.gql(
      `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }`,
      {
        input: { organization: org.name, name: "loop", payloadUrl: receiver.url("/events") },
      },
      { token: org.admin.token },
    );
    await createStack(server, org);
    const deadline = Date.now() + 5000;
    let rows: Array<{ error: string | null; response_code: number | null }> = [];
    while (Date.now() < deadline) {
      rows = await server.sql<(typeof rows)[number]>(
        "select d.error, d.response_code from webhook_deliveries d join webhooks w on w.id = d.webhook_id where w.organization_id = $1 order by d.id",
        [org.organization.id],
      );
      if (rows.length >= 3) break;
      await sleep(25);
    }
    expect(rows).toEqual(Array(3).fill({ error: "destination not allowed", response_code: null }));
    expect(receiver.received).toEqual([]);
  });
});

describe("the address check alone", () => {
  it("refuses private, link-local, CGNAT, unique-local and mapped addresses without connecting", async () => {
    // Any connection attempt fails the test before a packet could leave.
    const attempts: unknown[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back on the prototype, never called alone
    const original = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      attempts.push(args[0]);
      throw new Error("a connection was attempted");
    };
    try {
      const agent = new WebhookSender({ allowPrivateNetworks: false, timeoutMs: 1000 }).agentFor(new URL("http://x/"));
      const refused = (host: string) =>
        new Promise<Error | null>((resolve) => {
          (agent as unknown as { createConnection: (o: object, cb: (e: Error | null) => void) => void }).createConnection(
            { host, port: 80 },
            (error) => resolve(error),
          );
        });
      for (const host of [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "fc00::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "127.0.0.1",
        "::1",
      ]) {
        const error = await refused(host);
        expect(error?.message, host).toMatch(/is not allowed/);
      }
    } finally {
      net.Socket.prototype.connect = original;
    }
    expect(attempts).toEqual([]);
  });
});
