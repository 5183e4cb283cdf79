// Webhooks end to end against a real receiver on 127.0.0.1 (the SSRF guard lifted for it,
// WEBHOOK_ALLOW_PRIVATE_NETWORKS=true). The guard itself: test/webhook-guard.test.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createStack, type OrgFixture, stackNode, startUpdate } from "./support/factories.js";
import { startTestServer, testBackend, type TestServer } from "./support/test-server.js";
import { type Received, sleep, WebhookReceiver } from "./support/webhook-receiver.js";

let server: TestServer;
let receiver: WebhookReceiver;
beforeAll(async () => {
  server = await startTestServer({
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    WEBHOOK_TIMEOUT: "300ms",
    WEBHOOK_RETRY_SCHEDULE: "100ms,200ms",
  });
});
afterAll(() => server.close());
afterEach(async () => receiver?.stop());

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

const CREATE = `mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { id name displayName payloadUrl hasSecret active format filters createdAt }
}`;
const UPDATE = `mutation ($input: UpdateWebhookInput!) { updateWebhook(input: $input) { name displayName payloadUrl hasSecret active format filters } }`;
const DELETE = `mutation ($org: String!, $name: String!) { deleteWebhook(input: { organization: $org, name: $name }) }`;
const PING = `mutation ($org: String!, $name: String!) {
  pingWebhook(input: { organization: $org, name: $name }) { id kind payload timestamp duration requestUrl requestHeaders responseCode responseHeaders responseBody error attempt }
}`;
const GET = `query ($org: String!, $name: String!) {
  organization(name: $org) { webhook(name: $name) { name hasSecret deliveries(first: 50) { totalCount nodes { kind attempt responseCode error } } } }
}`;

async function createHook(org: OrgFixture, input: Record<string, unknown>, token = org.admin.token) {
  const res = await server.gql(
    CREATE,
    { input: { organization: org.name, name: "hook", payloadUrl: receiver.url(), ...input } },
    { token },
  );
  expectOk(res);
  return res.body.data!.createWebhook;
}

function verified(secret: string, request: Received) {
  return new StandardWebhook(secret).verify(request.body, request.headers as Record<string, string>) as Record<string, any>;
}

const deliveries = (org: OrgFixture, name = "hook") =>
  server.gql(GET, { org: org.name, name }, { token: org.admin.token }).then((r) => r.body.data!.organization.webhook.deliveries);

describe("webhook CRUD", () => {
  it("creates, reads, updates only what is given, and deletes, with one audit event each", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const secret = newSecret();
    const created = await createHook(org, { name: "chat", secret, format: "SLACK", filters: ["update_failed", "stack_deleted"] });
    expect(created).toMatchObject({
      name: "chat",
      displayName: "chat",
      payloadUrl: receiver.url(),
      hasSecret: true,
      active: true,
      format: "SLACK",
      filters: ["update_failed", "stack_deleted"],
    });
    expect(JSON.stringify(created)).not.toContain(secret.slice(6));

    const renamed = await server.gql(
      UPDATE,
      { input: { organization: org.name, name: "chat", displayName: "Chat ops" } },
      { token: org.admin.token },
    );
    expect(renamed.body.data!.updateWebhook).toMatchObject({
      displayName: "Chat ops",
      hasSecret: true,
      format: "SLACK",
      filters: ["update_failed", "stack_deleted"],
    });
    const cleared = await server.gql(
      UPDATE,
      { input: { organization: org.name, name: "chat", clearSecret: true, active: false, filters: [] } },
      { token: org.admin.token },
    );
    expect(cleared.body.data!.updateWebhook).toMatchObject({ hasSecret: false, active: false, filters: [] });
    const resecret = await server.gql(
      UPDATE,
      { input: { organization: org.name, name: "chat", secret: newSecret() } },
      { token: org.admin.token },
    );
    expect(resecret.body.data!.updateWebhook.hasSecret).toBe(true);

    const list = await server.gql(
      `query ($org: String!) { organization(name: $org) { webhooks { name } } }`,
      { org: org.name },
      { token: org.admin.token },
    );
    expect(list.body.data!.organization.webhooks).toEqual([{ name: "chat" }]);
    expect((await server.gql(DELETE, { org: org.name, name: "chat" }, { token: org.admin.token })).body.data).toEqual({
      deleteWebhook: true,
    });
    expectError(await server.gql(DELETE, { org: org.name, name: "chat" }, { token: org.admin.token }), "NOT_FOUND");
    expect((await server.gql(GET, { org: org.name, name: "chat" }, { token: org.admin.token })).body.data!.organization.webhook).toBeNull();
    expect((await auditEventsOf(server, org.organization.id)).slice(before).map((e) => e.event)).toEqual([
      "webhook-created",
      "webhook-updated",
      "webhook-updated",
      "webhook-updated",
      "webhook-deleted",
    ]);
  });

  it("refuses bad names, URLs, secrets, formats and filters with BAD_USER_INPUT, and duplicate names with CONFLICT", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    await createHook(org, { name: "taken" });
    const bad: Array<Record<string, unknown>> = [
      { name: "" },
      { name: "x".repeat(33) },
      { name: "has space" },
      { payloadUrl: "ftp://127.0.0.1/x" },
      { payloadUrl: "not a url" },
      { payloadUrl: "http://user:pw@127.0.0.1/" },
      { payloadUrl: "http://" },
      { secret: "plain" },
      { secret: "whsec_" },
      { secret: `whsec_${randomBytes(16).toString("base64")}` },
      { secret: `whsec_${randomBytes(65).toString("base64")}` },
      { secret: "whsec_!!!notbase64!!!" },
      { format: "XML" },
      { filters: ["stack_renamed"] },
      { displayName: "" },
    ];
    for (const input of bad) {
      const res = await server.gql(
        CREATE,
        { input: { organization: org.name, name: "new", payloadUrl: receiver.url(), ...input } },
        { token: org.admin.token },
      );
      expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe("BAD_USER_INPUT");
    }
    expectError(
      await server.gql(
        CREATE,
        { input: { organization: org.name, name: "TAKEN", payloadUrl: receiver.url() } },
        { token: org.admin.token },
      ),
      "CONFLICT",
    );
    expectError(
      await server.gql(
        UPDATE,
        { input: { organization: org.name, name: "taken", secret: newSecret(), clearSecret: true } },
        { token: org.admin.token },
      ),
      "BAD_USER_INPUT",
    );
    expectError(await server.gql(UPDATE, { input: { organization: org.name, name: "none" } }, { token: org.admin.token }), "NOT_FOUND");
  });

  it("stores the secret encrypted: it is not in the database file", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    const secret = newSecret();
    await createHook(org, { name: "sealed", secret });
    await server.committed();
    let file: Buffer;
    if (server.backend === "sqlite") {
      await server.sql("pragma wal_checkpoint(TRUNCATE)");
      file = readFileSync(server.databasePath);
    } else {
      // PostgreSQL: every stored column of every webhook row, as text
      const rows = await server.sql<{ row: string }>("select w::text as row from webhooks w");
      file = Buffer.from(rows.map((r) => r.row).join("\n"));
    }
    expect(file.includes(Buffer.from(secret))).toBe(false);
    expect(file.includes(Buffer.from(secret.slice(6, 30)))).toBe(false);
    expect(server.logs.join("")).not.toContain(secret.slice(6, 30));
  });

  it("org tokens create, list, get and ping; they cannot update or delete; members can do none of it", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const member = await addMember(server, org);
    await createHook(org, { name: "by-token" }, token);
    expectOk(await server.gql(GET, { org: org.name, name: "by-token" }, { token }));
    expectOk(await server.gql(PING, { org: org.name, name: "by-token" }, { token }));
    expectError(await server.gql(UPDATE, { input: { organization: org.name, name: "by-token", active: false } }, { token }), "FORBIDDEN");
    expectError(await server.gql(DELETE, { org: org.name, name: "by-token" }, { token }), "FORBIDDEN");
    for (const [query, vars] of [
      [CREATE, { input: { organization: org.name, name: "m", payloadUrl: receiver.url() } }],
      [PING, { org: org.name, name: "by-token" }],
      [DELETE, { org: org.name, name: "by-token" }],
      [`query ($org: String!) { organization(name: $org) { webhooks { name } } }`, { org: org.name }],
    ] as const) {
      expectError(await server.gql(query, vars, { token: member.token }), "FORBIDDEN");
    }
  });
});

describe("ping", () => {
  it("delivers at once, signed (Standard Webhooks), and returns the delivery", async () => {
    receiver = await new WebhookReceiver().start();
    receiver.fallback = { status: 200, body: "pong" };
    const org = await createOrg(server);
    const secret = newSecret();
    await createHook(org, { secret });
    const res = await server.gql(PING, { org: org.name, name: "hook" }, { token: org.admin.token });
    expectOk(res);
    const delivery = res.body.data!.pingWebhook;
    expect(delivery).toMatchObject({
      kind: "ping",
      responseCode: 200,
      responseBody: "pong",
      error: null,
      attempt: 1,
      requestUrl: receiver.url(),
    });
    expect(delivery.requestHeaders).toMatchObject({ "content-type": "application/json", "webhook-id": expect.stringMatching(/^msg_/) });
    expect(receiver.received).toHaveLength(1);
    const payload = verified(secret, receiver.received[0]!);
    expect(payload).toMatchObject({ kind: "ping", organization: { name: org.name }, webhook: { name: "hook" } });
    expect((await auditEventsOf(server, org.organization.id)).at(-1)!.event).toBe("webhook-pinged");
  });

  it("returns the failed delivery too: no response code, the error set", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    await createHook(org, {});
    await receiver.stop();
    const res = await server.gql(PING, { org: org.name, name: "hook" }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.pingWebhook).toMatchObject({ responseCode: null, error: "connection refused", responseBody: null });
  });
});

describe("events", () => {
  it("delivers stack_created, update and preview results, and stack_deleted, each signed, with what happened", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    const secret = newSecret();
    await createHook(org, { secret });
    const stack = await createStack(server, org, { project: "web" });
    await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
    await startUpdate(server, org, stack, "PREVIEW", "FAILED");
    for (const kind of ["REFRESH", "DESTROY", "IMPORT"] as const) await startUpdate(server, org, stack, kind, "SUCCEEDED");
    const node = await stackNode(server, org, stack);
    await server.app.services.stacks.delete(org.admin.caller, node, true);
    const received = await receiver.waitFor(7);
    const payloads = received.map((r) => verified(secret, r));
    expect(payloads.map((p) => p.kind).sort()).toEqual([
      "destroy_succeeded",
      "import_succeeded",
      "preview_failed",
      "refresh_succeeded",
      "stack_created",
      "stack_deleted",
      "update_succeeded",
    ]);
    const update = payloads.find((p) => p.kind === "update_succeeded")!;
    expect(update).toMatchObject({
      organization: { name: org.name },
      stack: { project: "web", name: stack.stack, fullyQualifiedName: `${org.name}/web/${stack.stack}` },
      actor: { kind: "USER", login: org.admin.user.login },
      update: { kind: "UPDATE", result: "succeeded", version: 1 },
    });
  });

  it("follows the filters, and inactive webhooks receive nothing", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    await createHook(org, { name: "deletes-only", filters: ["stack_deleted"], payloadUrl: receiver.url("/deletes") });
    await createHook(org, { name: "off", active: false, payloadUrl: receiver.url("/off") });
    const stack = await createStack(server, org);
    await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
    await server.app.services.stacks.delete(org.admin.caller, await stackNode(server, org, stack), true);
    await receiver.waitFor(1);
    await sleep(300);
    expect(receiver.received.map((r) => [r.path, JSON.parse(r.body).kind])).toEqual([["/deletes", "stack_deleted"]]);
  });

  it("retries a 500 with backoff, then records the success", async () => {
    receiver = await new WebhookReceiver().start();
    receiver.script.push({ status: 500, body: "boom" });
    receiver.fallback = { status: 200 };
    const org = await createOrg(server);
    await createHook(org, {});
    await createStack(server, org);
    await receiver.waitFor(2);
    const rows = await waitForDeliveries(org, 2);
    expect(rows.map((d: any) => [d.attempt, d.responseCode])).toEqual([
      [2, 200],
      [1, 500],
    ]);
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(receiver.received[1]!.headers["webhook-id"]);
  });

  it("records a receiver that hangs as a timeout, and gives up after the last retry", async () => {
    receiver = await new WebhookReceiver().start();
    receiver.fallback = { hang: true };
    const org = await createOrg(server);
    await createHook(org, {});
    await createStack(server, org);
    // three attempts of 300 ms with retries between: seconds, more on a loaded machine (it returns once all three are there)
    const rows = await waitForDeliveries(org, 3, 15_000);
    expect(rows.map((d: any) => [d.attempt, d.responseCode, d.error])).toEqual([
      [3, null, "no response within 300 ms"],
      [2, null, "no response within 300 ms"],
      [1, null, "no response within 300 ms"],
    ]);
    await sleep(400);
    expect((await deliveries(org)).totalCount).toBe(3);
    const state = await server.sql(
      "select state, attempts from webhook_outbox o join webhooks w on w.id = o.webhook_id where w.organization_id = $1",
      [org.organization.id],
    );
    expect(state).toEqual([{ state: "FAILED", attempts: 3 }]);
  });

  it("treats a redirect as a failure and never follows it", async () => {
    receiver = await new WebhookReceiver().start();
    receiver.fallback = { status: 302, headers: { location: "/elsewhere" } };
    const org = await createOrg(server);
    await createHook(org, {});
    const res = await server.gql(PING, { org: org.name, name: "hook" }, { token: org.admin.token });
    expect(res.body.data!.pingWebhook).toMatchObject({ responseCode: 302, error: null });
    await sleep(100);
    expect(receiver.received.map((r) => r.path)).toEqual(["/hook"]);
  });
});

describe("formats", () => {
  it("SLACK and MS_TEAMS render a readable message in those services' shapes", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    await createHook(org, { name: "slack", format: "SLACK", payloadUrl: receiver.url("/slack") });
    await createHook(org, { name: "teams", format: "MS_TEAMS", payloadUrl: receiver.url("/teams") });
    const stack = await createStack(server, org, { project: "api" });
    const received = await receiver.waitFor(2);
    const slack = JSON.parse(received.find((r) => r.path === "/slack")!.body);
    expect(slack.text).toBe(`Stack ${org.name}/api/${stack.stack} was created by ${org.admin.user.login}`);
    expect(slack.blocks[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    const teams = JSON.parse(received.find((r) => r.path === "/teams")!.body);
    expect(teams).toMatchObject({
      type: "message",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } }],
    });
    expect(JSON.stringify(teams)).toContain(`${org.name}/api/${stack.stack}`);
  });
});

async function waitForDeliveries(org: OrgFixture, n: number, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const list = await deliveries(org);
    if (list.totalCount >= n) return list.nodes;
    if (Date.now() > deadline) throw new Error(`only ${list.totalCount} of ${n} deliveries within ${ms} ms`);
    await sleep(50);
  }
}

// SQLite only: a restart on the same database file (a PostgreSQL test server gets a new database)
describe.skipIf(testBackend() !== "sqlite")("restarts", () => {
  it("delivers what was pending when the server stopped, once, after the next start", async () => {
    receiver = await new WebhookReceiver().start();
    const env = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true", WEBHOOK_TIMEOUT: "300ms", WEBHOOK_RETRY_SCHEDULE: "100ms,200ms" };
    const first = await startTestServer({ ...env, WEBHOOK_DISPATCHER: "false" });
    const org = await createOrg(first);
    await first.gql(CREATE, { input: { organization: org.name, name: "hook", payloadUrl: receiver.url() } }, { token: org.admin.token });
    await createStack(first, org);
    await sleep(200);
    expect(receiver.received).toEqual([]);
    const pending = await first.sql("select state from webhook_outbox");
    expect(pending).toEqual([{ state: "PENDING" }]);
    await first.close({ keepDir: true });

    const second = await startTestServer(env, first.dir);
    try {
      await receiver.waitFor(1);
      await sleep(300);
      expect(receiver.received.map((r) => JSON.parse(r.body).kind)).toEqual(["stack_created"]);
      expect(await second.sql("select state, attempts from webhook_outbox")).toEqual([{ state: "DELIVERED", attempts: 1 }]);
    } finally {
      await second.close({ keepDir: false });
      const { rmSync } = await import("node:fs");
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});

// SQLite only: group commit (PostgreSQL commits each transaction before it returns)
describe.skipIf(testBackend() !== "sqlite")("webhooks and group commit", () => {
  it("an event whose transaction group is rolled back is never delivered; the next one is", async () => {
    receiver = await new WebhookReceiver().start();
    const org = await createOrg(server);
    await createHook(org, { name: "hook" });
    await server.committed();
    const commits = server.app.store.pendingCommits as unknown as { commitStatement: { run(): unknown } };
    const commit = vi.spyOn(commits.commitStatement, "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    const lost = await createStack(server, org); // the stack and its stack_created outbox row: one group
    await sleep(300);
    commit.mockRestore();
    expect(receiver.received).toEqual([]);
    expect(await server.sql("select count(*) as n from stacks where id = $1", [lost.id])).toEqual([{ n: 0 }]);
    const kept = await createStack(server, org);
    const [delivery] = await receiver.waitFor(1);
    expect(JSON.parse(delivery!.body)).toMatchObject({ kind: "stack_created", stack: { name: kept.stack } });
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
  });
});
