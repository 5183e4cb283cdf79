// Request limits and abuse: document limits (graphql-armor), body size, time limit, batching,
// rate limits, production mode. (What each limit withstands: test/abuse.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOk } from "./support/assertions.js";
import { createOrg, createUser } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

const servers: TestServer[] = [];
async function serverWith(env: Record<string, string>) {
  const server = await startTestServer({ LOG_LEVEL: "warn", ...env });
  servers.push(server);
  return server;
}
afterAll(async () => {
  for (const server of servers) await server.close();
});

const codeOf = (body: any) => body.errors?.[0]?.extensions?.code;

describe("document limits", () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await serverWith({
      GRAPHQL_MAX_DEPTH: "6",
      GRAPHQL_MAX_ALIASES: "5",
      GRAPHQL_MAX_TOKENS: "300",
      GRAPHQL_MAX_DIRECTIVES: "3",
      GRAPHQL_MAX_COST: "200",
    });
    token = (await createUser(server)).token;
  });

  it("refuses documents over the limits (parse or validation errors), and answers those within", async () => {
    const deep = "{ viewer { organizations { organization { teams { members { login } } } } } }";
    expectOk(await server.gql("{ viewer { organizations { organization { name } } } }", {}, { token }));
    const cases: Array<[string, RegExp]> = [
      [`{ viewer { organizations { organization { teams { stackGrants { stack { tags { name } } } } } } } }`, /depth/i],
      [`{ ${Array.from({ length: 6 }, (_, i) => `a${i}: viewer { kind }`).join(" ")} }`, /aliases/i],
      [`{ viewer { ${"kind ".repeat(320)} } }`, /token/i],
      [`{ viewer @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) { kind } }`, /directive/i],
      [`{ organization(name: "x") { stacks(first: 100) { nodes { updates(first: 100) { nodes { version kind status } } } } } }`, /cost/i],
    ];
    for (const [query, message] of cases) {
      const res = await server.gql(query, {}, { token });
      expect(res.status, query.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.body.errors?.[0]?.message, query.slice(0, 40)).toMatch(message);
      expect(res.body.data ?? null).toBeNull();
    }
    expect(deep).toBeTruthy();
  });

  it("introspection is not limited (the playground's docs)", async () => {
    const res = await server.gql("{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }");
    expectOk(res);
  });
});

describe("HTTP limits", () => {
  it("answers an oversize body with 413 in the GraphQL error shape", async () => {
    const server = await serverWith({ MAX_BODY_BYTES: "2048" });
    const res = await server.gql(`{ viewer { kind } } # ${"x".repeat(3000)}`, {}, { token: (await createUser(server)).token });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      errors: [{ message: "the request body is larger than 2048 bytes (MAX_BODY_BYTES)", extensions: { code: "BAD_USER_INPUT" } }],
    });
  });

  it("answers malformed JSON and batched operations with 400", async () => {
    const server = await serverWith({});
    const token = (await createUser(server)).token;
    const post = (payload: string) =>
      server.app.fastify.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", authorization: `token ${token}` },
        payload,
      });
    const malformed = await post("{ not json");
    expect(malformed.statusCode).toBe(400);
    expect(codeOf(malformed.json())).toBe("BAD_USER_INPUT");
    const batch = await post(JSON.stringify([{ query: "{ viewer { kind } }" }, { query: "{ viewer { kind } }" }]));
    expect(batch.statusCode).toBe(400);
  });

  it("gives up on a request after REQUEST_TIMEOUT with 503", async () => {
    const receiver = await new WebhookReceiver().start();
    receiver.fallback = { hang: true };
    try {
      // at LOG_LEVEL=warn: the request that went well writes no line, the slow one two, with its id
      const server = await serverWith({
        REQUEST_TIMEOUT: "300ms",
        WEBHOOK_TIMEOUT: "2s",
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
        LOG_LEVEL: "warn",
      });
      const org = await createOrg(server);
      const created = await server.gql(
        `mutation ($o: String!, $u: String!) { createWebhook(input: { organization: $o, name: "slow", payloadUrl: $u }) { id } }`,
        { o: org.name, u: receiver.url() },
        { token: org.admin.token, headers: { "x-request-id": "quick-one" } },
      );
      expectOk(created);
      const started = Date.now();
      const res = await server.gql(
        `mutation ($o: String!) { pingWebhook(input: { organization: $o, name: "slow" }) { responseCode } }`,
        { o: org.name },
        { token: org.admin.token, headers: { "x-request-id": "slow-one" } },
      );
      expect(res.status).toBe(503);
      expect(res.body.errors![0]!.message).toMatch(/took longer than 300 ms/);
      expect(Date.now() - started).toBeLessThan(1500);
      const lines = server.logs.map((line) => JSON.parse(line) as { reqId?: string; msg: string; level: number });
      expect(lines.filter((line) => line.reqId === "quick-one")).toEqual([]);
      expect(lines.filter((line) => line.reqId === "slow-one").map((line) => line.msg)).toEqual(["request timed out", "request failed"]);
    } finally {
      await receiver.stop();
    }
  });
});

describe("rate limits", () => {
  it("limits requests per principal and anonymous requests per address", async () => {
    const server = await serverWith({ RATE_LIMIT_PER_PRINCIPAL: "5", RATE_LIMIT_ANONYMOUS_PER_IP: "2" });
    const a = (await createUser(server)).token;
    const b = (await createUser(server)).token;
    for (let i = 0; i < 5; i++) expect((await server.gql("{ viewer { kind } }", {}, { token: a })).status).toBe(200);
    const limited = await server.gql("{ viewer { kind } }", {}, { token: a });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
    expect((await server.gql("{ viewer { kind } }", {}, { token: b })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await server.gql("{ __typename }")).status).toBe(200);
    expect((await server.gql("{ __typename }")).status).toBe(429);
  });
});

describe("production mode", () => {
  it("turns introspection and field suggestions off unless enabled", async () => {
    const server = await serverWith({ NODE_ENV: "production" });
    const token = (await createUser(server)).token;
    const introspection = await server.gql("{ __schema { queryType { name } } }", {}, { token });
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await server.gql("{ viewr { kind } }", {}, { token });
    expect(JSON.stringify(typo.body)).not.toMatch(/did you mean/i);
    const enabled = await serverWith({ NODE_ENV: "production", GRAPHQL_INTROSPECTION: "true" });
    expectOk(await enabled.gql("{ __schema { queryType { name } } }", {}, { token: (await createUser(enabled)).token }));
  });
});
