// Bounds that keep one caller from hurting others (found in the security review): state is
// read one stack at a time, lists read whole are capped, event pages have a byte budget,
// pings per request are few, webhook deliveries are shared fairly between organizations,
// rate limits count a user across all their tokens, echoed values are redacted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createStack, type OrgFixture, stackNode } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

describe("stack state", () => {
  it("is served for one stack at a time, and audited once per stack and request", async () => {
    const org = createOrg(server);
    const stack = createStack(server, org);
    const member = addMember(server, org);
    const listed = await server.gql(`query ($o: String!) { organization(name: $o) { stacks { nodes { state } } } }`, { o: org.name }, { token: member.token });
    expectError(listed, "BAD_USER_INPUT", /one stack at a time/);
    const before = auditEventsOf(server, org.organization.id).length;
    const twice = await server.gql(
      `query ($o: String!, $p: String!, $s: String!) { organization(name: $o) { a: stack(project: $p, name: $s) { state } b: stack(project: $p, name: $s) { state } } }`,
      { o: org.name, p: stack.project, s: stack.stack },
      { token: member.token },
    );
    expectOk(twice);
    expect(auditEventsOf(server, org.organization.id).slice(before).map((e) => e.event)).toEqual(["stack-exported"]);
  });
});

describe("caps", () => {
  it("a stack has at most 50 tags", async () => {
    const org = createOrg(server);
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `t${i}`, value: "v" }));
    expectError(await server.gql(`mutation ($i: CreateStackInput!) { createStack(input: $i) { id } }`, { i: { organization: org.name, project: "p", stack: "s", tags: many } }, { token: org.admin.token }), "BAD_USER_INPUT", /at most 50 tags/);
    const stack = createStack(server, org, { tags: many.slice(0, 49) });
    const ref = { organization: org.name, project: stack.project, stack: stack.stack };
    const set = (name: string) => server.gql(`mutation ($s: StackRef!, $n: String!) { setStackTag(input: { stack: $s, name: $n, value: "x" }) { name } }`, { s: ref, n: name }, { token: org.admin.token });
    expectError(await set("one-more"), "BAD_USER_INPUT", /50 tags/);
    expectOk(await set("t3")); // replacing one is fine
  });

  it("an organization has at most 20 webhooks, and a request sends at most 3 pings", async () => {
    const org = createOrg(server);
    for (let i = 0; i < 20; i++) server.app.services.webhooks.create(org.admin.caller, org.organization, { organization: org.name, name: `h${i}`, payloadUrl: "http://127.0.0.1:9/x" });
    expectError(
      await server.gql(`mutation ($o: String!) { createWebhook(input: { organization: $o, name: "h20", payloadUrl: "http://127.0.0.1:9/x" }) { id } }`, { o: org.name }, { token: org.admin.token }),
      "BAD_USER_INPUT",
      /20 webhooks/,
    );
    const pings = Array.from({ length: 4 }, (_, i) => `p${i}: pingWebhook(input: { organization: $o, name: "h${i}" }) { error }`).join(" ");
    const res = await server.gql(`mutation ($o: String!) { ${pings} }`, { o: org.name }, { token: org.admin.token });
    expect(res.body.errors?.map((e) => e.message)).toEqual(["at most 3 pings per request"]);
  });
});

describe("update event pages", () => {
  it("stop early once their payloads pass 4 MiB, and the rest come on the next page", async () => {
    const org = createOrg(server);
    const stack = createStack(server, org);
    const update = server.app.services.updates.start(org.admin.caller, stackNode(server, org, stack), "UPDATE", null);
    const big = "x".repeat(60_000);
    server.app.services.updates.append(update, Array.from({ length: 100 }, (_, i) => ({ sequence: i, type: "stdoutEvent", payload: { message: big } })));
    const page = async (after?: string) =>
      (await server.gql(
        `query ($o: String!, $p: String!, $s: String!, $a: String) { organization(name: $o) { stack(project: $p, name: $s) { update(version: 1) { events(first: 1000, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { sequence } } } } } }`,
        { o: org.name, p: stack.project, s: stack.stack, a: after },
        { token: org.admin.token },
      )).body.data!.organization.stack.update.events;
    const first = await page();
    expect(first.nodes.length).toBeGreaterThan(10);
    expect(first.nodes.length).toBeLessThan(100);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.nodes[0].sequence).toBe(first.nodes.length);
    expect(first.totalCount).toBe(100);
  });
});

describe("webhook deliveries", () => {
  it("are shared fairly: a backlog in one organization does not hold another's events", async () => {
    const hanging = await new WebhookReceiver().start();
    hanging.fallback = { hang: true };
    const quick = await new WebhookReceiver().start();
    const fair = await startTestServer({ LOG_LEVEL: "warn", WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true", WEBHOOK_TIMEOUT: "2s", WEBHOOK_DISPATCHER: "false" });
    try {
      const noisy = createOrg(fair);
      const other: OrgFixture = createOrg(fair);
      fair.app.services.webhooks.create(noisy.admin.caller, noisy.organization, { organization: noisy.name, name: "slow", payloadUrl: hanging.url() });
      fair.app.services.webhooks.create(other.admin.caller, other.organization, { organization: other.name, name: "fast", payloadUrl: quick.url() });
      for (let i = 0; i < 30; i++) createStack(fair, noisy); // 30 events queued first, to a receiver that hangs
      createStack(fair, other);
      fair.app.dispatcher.start();
      const started = Date.now();
      await quick.waitFor(1, 1500);
      expect(Date.now() - started).toBeLessThan(1500);
      await fair.app.dispatcher.stop();
    } finally {
      await hanging.stop();
      await quick.stop();
      await fair.close();
    }
  });
});

describe("rate limits and echoes", () => {
  it("count a user across all their tokens", async () => {
    const limited = await startTestServer({ LOG_LEVEL: "warn", RATE_LIMIT_PER_TOKEN: "4" });
    try {
      const org = createOrg(limited);
      const second = limited.app.services.tokens.createPersonal(org.admin.caller, { description: "another" }).secret;
      for (let i = 0; i < 2; i++) {
        expect((await limited.gql("{ viewer { kind } }", {}, { token: org.admin.token })).status).toBe(200);
        expect((await limited.gql("{ viewer { kind } }", {}, { token: second })).status).toBe(200);
      }
      expect((await limited.gql("{ viewer { kind } }", {}, { token: second })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("redact a secret the client sent in the wrong place, even in graphql-js's own messages", async () => {
    const org = createOrg(server);
    const { secret } = server.app.services.tokens.createPersonal(org.admin.caller, { description: "pasted" });
    const res = await server.gql(`query ($n: Int) { organization(name: "x") { stacks(first: $n) { totalCount } } }`, { n: secret }, { token: org.admin.token });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.raw).not.toContain(secret.slice(4, 34));
    expect(res.raw).toContain("[secret redacted]");
  });
});
