// Property-based tests (fast-check) for every input type, and for random GraphQL documents:
// no HTTP 500, no unmasked error, no partial write, and the server still answers.
// Webhook URLs are fuzzed with the dispatcher off and the SSRF guard on: nothing is sent.
import type { Variables } from "./support/operations.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/errors.js";
import { createOrg, createStack, type OrgFixture, type StackFixture, stackNode } from "./support/factories.js";
import { type GraphQLResponse, startTestServer, type TestServer } from "./support/test-server.js";

/** Codes a client may see: ours, and graphql-js/Apollo's request-level ones. */
const ALLOWED_CODES = new Set<string>([
  ...ERROR_CODES.filter((c) => c !== "INTERNAL_SERVER_ERROR"),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
]);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

let server: TestServer;
let org: OrgFixture;
let stack: StackFixture;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn", WEBHOOK_DISPATCHER: "false" }); // guard on, nothing delivered
  org = await createOrg(server);
  stack = await createStack(server, org);
});
afterAll(() => server.close());

function expectHandled(res: GraphQLResponse): void {
  expect(res.status, res.raw).toBeLessThan(500);
  for (const error of res.body.errors ?? []) {
    expect(ALLOWED_CODES.has(error.extensions?.code ?? ""), res.raw).toBe(true);
    expect(error.message).not.toMatch(/SQLITE|at .*\.ts:\d+|\/work\/|node_modules|constraint failed/i);
    // PostgreSQL's own messages
    expect(error.message).not.toMatch(
      /violates .* constraint|duplicate key|invalid input syntax|out of range for type|value too long for type/i,
    );
  }
}

const COUNTED = {
  o: "organizations",
  s: "stacks",
  t: "stack_tags",
  tm: "teams",
  w: "webhooks",
  k: "access_tokens",
  e: "update_events",
  a: "audit_events",
  c: "stack_checkpoints",
};

// cast: PostgreSQL's count(*) is a bigint, which pg returns as a string
const rowCounts = async () =>
  (
    await server.sql<Record<string, number>>(
      `select ${Object.entries(COUNTED)
        .map(([key, table]) => `(select cast(count(*) as integer) from ${table}) as ${key}`)
        .join(", ")}`,
    )
  )[0]!;

/** Runs `query` with fuzzed `variables`; a refused call must leave every table as it was. */
async function check(query: string, variables: Variables, token = org.admin.token) {
  const before = await rowCounts();
  const res = await server.gql(query, variables, { token });
  expectHandled(res);
  if (res.body.errors?.length) {
    const after = await rowCounts();
    // refusals may write their own auth-failure event; nothing else may change
    expect({ ...after, a: 0 }).toEqual({ ...before, a: 0 });
  }
  return res;
}

const text = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.stringMatching(/^[A-Za-z0-9_.:-]{0,45}$/),
  fc.constantFrom(
    "",
    " ",
    "a".repeat(41),
    "a".repeat(101),
    "x".repeat(300),
    "../../etc/passwd",
    "'; drop table stacks; --",
    "\u0000",
    "gtp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  ),
);
const ref = () => ({ organization: org.name, project: stack.project, stack: stack.stack });

describe("fuzzed inputs", () => {
  it("names: organizations, stacks, teams, tokens, webhooks", async () => {
    await fc.assert(
      fc.asyncProperty(text, text, async (a, b) => {
        await check(`mutation ($n: String!) { createOrganization(input: { name: $n, displayName: $n }) { id } }`, { n: a });
        await check(`mutation ($i: CreateStackInput!) { createStack(input: $i) { id } }`, {
          i: { organization: org.name, project: a, stack: b },
        });
        await check(`mutation ($i: CreateTeamInput!) { createTeam(input: $i) { id } }`, {
          i: { organization: org.name, name: a, description: b },
        });
        await check(`mutation ($i: CreateOrganizationAccessTokenInput!) { createOrganizationAccessToken(input: $i) { token { id } } }`, {
          i: { organization: org.name, name: a, description: b },
        });
        await check(
          `query ($o: String!, $p: String!, $s: String!) { organization(name: $o) { stack(project: $p, name: $s) { id } team(name: $s) { id } } }`,
          { o: a, p: a, s: b },
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("tags", async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.oneof(text, fc.string({ minLength: 250, maxLength: 270 })), async (name, value) => {
        await check(`mutation ($i: SetStackTagInput!) { setStackTag(input: $i) { name } }`, { i: { stack: ref(), name, value } });
        await check(`mutation ($i: DeleteStackTagInput!) { deleteStackTag(input: $i) }`, { i: { stack: ref(), name } });
      }),
      { numRuns: RUNS },
    );
  });

  it("webhook URLs, secrets and filters (dispatcher off, guard on)", async () => {
    const url = fc.oneof(
      text,
      fc.webUrl(),
      fc.constantFrom("http://127.0.0.1:1/x", "https://[::1]/x", "javascript:alert(1)", "http://a:b@127.0.0.1/", "file:///etc/passwd"),
    );
    const secret = fc.oneof(
      text,
      fc.base64String({ maxLength: 120 }).map((b) => `whsec_${b}`),
    );
    await fc.assert(
      fc.asyncProperty(url, secret, fc.array(text, { maxLength: 3 }), async (payloadUrl, s, filters) => {
        await check(`mutation ($i: CreateWebhookInput!) { createWebhook(input: $i) { id } }`, {
          i: { organization: org.name, name: `w${Math.random().toString(36).slice(2, 10)}`, payloadUrl, secret: s, filters },
        });
      }),
      { numRuns: RUNS },
    );
    expect((await rowCounts()).w).toBeGreaterThanOrEqual(0);
    expect(await server.sql("select cast(count(*) as integer) as n from webhook_deliveries")).toEqual([{ n: 0 }]);
  });

  it("stack state (any JSON)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (state) => {
        await check(`mutation ($i: ImportStackStateInput!) { importStackState(input: $i) { resourceCount } }`, {
          i: { stack: ref(), state },
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("update events", async () => {
    const node = await stackNode(server, org, stack);
    const update = await server.app.services.updates.start(org.admin.caller, node, "PREVIEW", null);
    const event = fc.record({
      sequence: fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), fc.constant(0)),
      type: text,
      payload: fc.jsonValue({ maxDepth: 3 }),
      timestamp: fc.option(
        fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          text,
        ),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 5 }), async (events) => {
        await check(`mutation ($i: AppendUpdateEventsInput!) { appendUpdateEvents(input: $i) }`, { i: { updateId: update.id, events } });
      }),
      { numRuns: RUNS },
    );
  });

  it("pagination cursors and page sizes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, fc.base64String({ maxLength: 80 })), fc.integer({ min: -10, max: 2000 }), async (after, first) => {
        await check(
          `query ($o: String!, $a: String, $f: Int) { organization(name: $o) { members(first: $f, after: $a) { totalCount } stacks(first: $f, after: $a) { totalCount } auditLogEvents(first: $f, after: $a) { totalCount } } }`,
          { o: org.name, a: after, f: first },
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("dates", async () => {
    const date = fc.oneof(
      text,
      fc.date().map((d) => (Number.isNaN(d.getTime()) ? "NaN" : d.toISOString())),
      fc.integer().map(String),
    );
    await fc.assert(
      fc.asyncProperty(date, date, async (a, b) => {
        await check(
          `mutation ($e: DateTime) { createPersonalAccessToken(input: { description: "fuzz", expiresAt: $e }) { token { id } } }`,
          { e: a },
        );
        await check(
          `query ($o: String!, $s: DateTime, $u: DateTime) { organization(name: $o) { auditLogEvents(filter: { since: $s, until: $u }) { totalCount } } }`,
          { o: org.name, s: a, u: b },
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("authorization headers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          fc.string({ maxLength: 200 }).map((s) => `token ${s}`),
          fc.stringMatching(/^(token|Bearer) gt[po]_[0-9A-Za-z]{36}$/),
        ),
        async (authorization) => {
          const headerSafe = authorization.replace(/[^\t\x20-\x7e]/g, "");
          const res = await server.gql("{ viewer { kind } }", {}, { authorization: headerSafe });
          expectHandled(res);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("random GraphQL documents", () => {
  const fields = [
    "viewer",
    "organization",
    "stacks",
    "stack",
    "members",
    "user",
    "login",
    "tags",
    "state",
    "webhooks",
    "auditLogEvents",
    "__schema",
    "__typename",
    "nodes",
    "id",
    "name",
    "nope",
  ];
  const token = fc.oneof(
    fc.constantFrom(...fields),
    fc.constantFrom(
      "{",
      "}",
      "(",
      ")",
      ":",
      "$x",
      "...",
      "on",
      "query",
      "mutation",
      "fragment",
      "@skip(if: true)",
      '"s"',
      "1",
      'name: "x"',
      ",",
    ),
  );
  it("never crash the server", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 40 }), async (tokens) => {
        const res = await server.gql(tokens.join(" "), {}, { token: org.admin.token });
        expectHandled(res);
      }),
      { numRuns: RUNS * 3 },
    );
    const health = await server.app.fastify.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
  });
});
