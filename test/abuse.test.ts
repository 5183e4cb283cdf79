// The attacks Gatehouse withstands, one describe block per kind of attack (from two security
// reviews). Each test drives the attack as an attacker would — through HTTP, with the
// attacker's own token or none — and pins what the server answers, writes and keeps in memory.
// The memory tests run the server in a child process and read its resident set from /proc.
import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import type { LookupFunction } from "node:net";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSecret } from "../src/lib/token-secret.js";
import { SqliteStore } from "../src/db/sqlite/store.js";
import { WebhookSender } from "../src/modules/webhooks/webhook-sender.js";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import {
  addMember,
  createOrg,
  createOrgToken,
  createStack,
  createUser,
  type OrgFixture,
  setTier,
  stackNode,
  uniqueName,
} from "./support/factories.js";
import { startTestServer, testBackend, type TestServer } from "./support/test-server.js";
import { openTestPostgres, type TestPostgres } from "./support/postgres.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { startServerProcess, type ServerProcess } from "./faults/server-process.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

const codes = (res: { body: { errors?: Array<{ extensions?: { code?: string } }> } }) =>
  (res.body.errors ?? []).map((e) => e.extensions?.code);
const aliases = (n: number, body: (i: number) => string) => Array.from({ length: n }, (_, i) => body(i)).join(" ");

/** Resident set size of a process, now and at its peak, in MB (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `token ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe("asking for too much in one request", () => {
  // the issue's attack: `first` through variables, left at its default, or spread over aliases
  const NESTED = `organization(name: $o) { stacks(first: $a) { nodes { updates(first: $b) { nodes { events(first: $c) { nodes { sequence type payload } } } } } } }`;

  it("a cost over GRAPHQL_MAX_COST is refused with `first` given as a variable, left at its default, or literal", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    const viaVariables = await server.gql(
      `query ($o: String!, $a: Int, $b: Int, $c: Int) { ${NESTED} }`,
      { o: org.name, a: 100, b: 100, c: 1000 },
      { token },
    );
    const viaDefaults = await server.gql(
      `query ($o: String!) { organization(name: $o) { stacks { nodes { updates { nodes { events { nodes { sequence type payload } } } } } } } }`,
      { o: org.name },
      { token },
    );
    const viaLiterals = await server.gql(
      `query ($o: String!) { organization(name: $o) { stacks(first: 100) { nodes { updates(first: 100) { nodes { events(first: 1000) { nodes { sequence type payload } } } } } } } }`,
      { o: org.name },
      { token },
    );
    const viaNullVariables = await server.gql(
      `query ($o: String!, $a: Int, $b: Int, $c: Int) { ${NESTED} }`,
      { o: org.name, a: null, b: null, c: null },
      { token },
    );
    // each alias alone is within the limit (17,622); ten of them are not
    const viaAliases = await server.gql(
      `query ($o: String!, $a: Int, $b: Int, $c: Int) { ${aliases(10, (i) => `x${i}: ${NESTED}`)} }`,
      { o: org.name, a: 5, b: 5, c: 100 },
      { token },
    );
    const viaFragments = await server.gql(
      `query ($o: String!, $c: Int = 1000) { organization(name: $o) { stacks(first: 100) { nodes { ...U } } } } fragment U on Stack { updates(first: 100) { nodes { events(first: $c) { nodes { sequence } } } } }`,
      { o: org.name },
      { token },
    );
    for (const [form, res] of Object.entries({ viaVariables, viaDefaults, viaLiterals, viaNullVariables, viaAliases, viaFragments })) {
      expect(res.status, form).toBe(400);
      expect(res.body.data ?? null, form).toBeNull();
      expectError(res, "BAD_USER_INPUT", /the query costs \d+, more than the limit of 50000 \(GRAPHQL_MAX_COST\)/);
    }
    // organization 2 + stacks 100 × (2 + nodes 2 + updates 100 × (2 + nodes 2 + events 1000 × (2 + nodes 2 + 3 leaves)))
    expect(viaVariables.body.errors![0]!.message).toMatch(/costs 70040402,/);
    expect(viaAliases.body.errors![0]!.message).toMatch(/costs 176220,/);
    // within the limit, with variables, the same shape runs
    expectOk(
      await server.gql(`query ($o: String!, $a: Int, $b: Int, $c: Int) { ${NESTED} }`, { o: org.name, a: 5, b: 5, c: 100 }, { token }),
    );
    // a skipped field costs nothing
    expectOk(
      await server.gql(
        `query ($o: String!, $a: Int, $s: Boolean!) { organization(name: $o) { stacks(first: $a) @skip(if: $s) { totalCount } } }`,
        { o: org.name, a: 1_000_000, s: true },
        { token },
      ),
    );
  });

  describe("in a server process", () => {
    let proc: ServerProcess;
    let dir: string;
    let admin: string;
    let org: string;
    let postgres: TestPostgres | null = null;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "gatehouse-abuse-"));
      // the PostgreSQL pass: the server process on a PostgreSQL database of its own (on a server; PGlite has no URL)
      if (testBackend() === "postgres") postgres = await openTestPostgres();
      const database: Record<string, string> = postgres?.url
        ? { DATABASE_URL: postgres.url, SECRET_KEY: randomBytes(32).toString("hex") }
        : {};
      proc = await startServerProcess({
        ...database,
        // a heap limit makes V8 collect garbage instead of growing: what is left is what the server keeps
        NODE_OPTIONS: "--max-old-space-size=192",
        DATABASE_PATH: join(dir, "gatehouse.db"),
        RATE_LIMIT_PER_PRINCIPAL: "1000000",
        RATE_LIMIT_ANONYMOUS_PER_IP: "1000000",
        GRAPHQL_COMPILED_CACHE_BYTES: String(8 * 1024 * 1024),
      });
      admin = readFileSync(join(dir, "gatehouse.admin-token"), "utf8").trim();
      org = uniqueName("evil");
      const gql = (query: string, variables: Record<string, unknown>) => proc.gql(query, variables, admin);
      expect(
        (await gql(`mutation ($n: String!) { createOrganization(input: { name: $n }) { id } }`, { n: org })).body.errors,
      ).toBeUndefined();
      await gql(`mutation ($i: CreateStackInput!) { createStack(input: $i) { id } }`, {
        i: { organization: org, project: "p", stack: "s" },
      });
      const started = await gql(`mutation ($i: StartUpdateInput!) { startUpdate(input: $i) { id } }`, {
        i: { stack: { organization: org, project: "p", stack: "s" }, kind: "UPDATE" },
      });
      const updateId = started.body.data.startUpdate.id as string;
      // 1,000 events of ~60 KB: every page of them is 4 MiB, the most one page holds
      const message = "x".repeat(60_000);
      for (let batch = 0; batch < 10; batch++) {
        const events = Array.from({ length: 100 }, (_, i) => ({ sequence: batch * 100 + i, type: "stdoutEvent", payload: { message } }));
        const res = await gql(`mutation ($i: AppendUpdateEventsInput!) { appendUpdateEvents(input: $i) }`, { i: { updateId, events } });
        expect(res.body.errors).toBeUndefined();
      }
    }, 60_000);
    afterAll(async () => {
      await proc?.kill("SIGTERM");
      await postgres?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("20 aliases of 4 MiB event pages: the response stops at MAX_RESPONSE_BYTES with an error, and memory stays bounded", async () => {
      const before = memoryOf(proc.child.pid!);
      const pages = (n: number) =>
        `query ($o: String!) { organization(name: $o) { stack(project: "p", name: "s") { update(version: 1) { ${aliases(
          n,
          (i) => `e${i}: events(first: 100) { pageInfo { hasNextPage } nodes { sequence payload } }`,
        )} } } } }`;
      const query = pages(20);
      for (let round = 0; round < 3; round++) {
        const res = await post(proc.url, { query, variables: { o: org } }, admin);
        expect(res.status).toBe(200);
        // refused with an error for each page past 16 MiB (four pages fit), not 80 MiB sent
        const body = JSON.parse(res.text);
        expect(body.data.organization.stack.update).toBeNull(); // `events` is non-null: its refusal nulls the update
        expect(body.errors.length).toBeGreaterThanOrEqual(15);
        for (const error of body.errors) {
          expect(error.message).toMatch(/larger than 16777216 bytes \(MAX_RESPONSE_BYTES\) with the events of update 1/);
          expect(error.extensions.code).toBe("BAD_USER_INPUT");
        }
        expect(res.text.length).toBeLessThan(64 * 1024);
      }
      // what fits is served: four pages
      const fits = JSON.parse((await post(proc.url, { query: pages(3), variables: { o: org } }, admin)).text);
      expect(fits.errors).toBeUndefined();
      expect(
        Object.values(fits.data.organization.stack.update as Record<string, { nodes: unknown[] }>).map((p) => p.nodes.length > 50),
      ).toEqual([true, true, true]);
      // the variable and default forms are refused before anything is read
      for (const variables of [{ o: org, a: 100, b: 100, c: 1000 }, { o: org }]) {
        const res = await post(proc.url, { query: `query ($o: String!, $a: Int, $b: Int, $c: Int) { ${NESTED} }`, variables }, admin);
        expect(res.status).toBe(400);
      }
      const after = memoryOf(proc.child.pid!);
      // old code: 80 MiB responses, the peak several times that
      expect(after.peak - before.rss).toBeLessThan(200);
    }, 60_000);

    it("1,000 distinct 20-alias documents without a token: 401 before parsing, resident memory flat", async () => {
      const document = (n: number) =>
        `query Q${n} { ${aliases(20, (i) => `a${i}: organization(name: "x${n}") { name stacks(first: 1) { nodes { id name tags { name value } } } teams { name members { login } } }`)} }`;
      for (let n = 0; n < 100; n++) expect((await post(proc.url, { query: document(n) })).status).toBe(401);
      const warm = memoryOf(proc.child.pid!).rss;
      for (let n = 100; n < 1000; n++) {
        const res = await post(proc.url, { query: document(n) });
        expect(res.status).toBe(401);
        expect(JSON.parse(res.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
      }
      // old code: ~2.6 MB per document compiled and kept, 2.3 GB over these 900
      expect(memoryOf(proc.child.pid!).rss - warm).toBeLessThan(40);
      // introspection still works without a token
      expect(JSON.parse((await post(proc.url, { query: "{ __schema { queryType { name } } }" })).text)).toEqual({
        data: { __schema: { queryType: { name: "Query" } } },
      });
    }, 120_000);

    it("300 distinct 20-alias documents with a token: the compiled queries kept stay within GRAPHQL_COMPILED_CACHE_BYTES, resident memory flat", async () => {
      const document = (n: number) =>
        `query C${n} { ${aliases(20, (i) => `a${i}: organization(name: "x${n}") { name stacks(first: 1) { nodes { id name tags { name value } } } teams { name members { login } } }`)} }`;
      // the first 100 fill the 8 MiB budget and let the heap settle at its working size
      for (let n = 0; n < 100; n++) expect((await post(proc.url, { query: document(n) }, admin)).status).toBe(200);
      const warm = memoryOf(proc.child.pid!).rss;
      for (let n = 100; n < 300; n++) expect((await post(proc.url, { query: document(n) }, admin)).status).toBe(200);
      // ~1.2 MB of heap each: the old code kept every one (past the 192 MB heap: out of memory); here 200 more add nothing
      expect(memoryOf(proc.child.pid!).rss - warm).toBeLessThan(40);
    }, 120_000);
  });

  it("stack state is served for one stack at a time, and audited once per stack and request", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const member = await addMember(server, org);
    const listed = await server.gql(
      `query ($o: String!) { organization(name: $o) { stacks { nodes { state } } } }`,
      { o: org.name },
      { token: member.token },
    );
    expectError(listed, "BAD_USER_INPUT", /one stack at a time/);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const twice = await server.gql(
      `query ($o: String!, $p: String!, $s: String!) { organization(name: $o) { a: stack(project: $p, name: $s) { state } b: stack(project: $p, name: $s) { state } } }`,
      { o: org.name, p: stack.project, s: stack.stack },
      { token: member.token },
    );
    expectOk(twice);
    expect((await auditEventsOf(server, org.organization.id)).slice(before).map((e) => e.event)).toEqual(["stack-exported"]);
  });

  it("stack states, audit exports and webhook deliveries count against MAX_RESPONSE_BYTES", async () => {
    const small = await startTestServer({ LOG_LEVEL: "warn", MAX_RESPONSE_BYTES: String(300 * 1024) });
    try {
      const org = await createOrg(small);
      const stacks = [await createStack(small, org), await createStack(small, org)];
      const state = {
        version: 3,
        deployment: {
          manifest: {},
          resources: [{ urn: "urn:pulumi:s::p::x:y:Z::a", type: "x:y:Z", outputs: { blob: "y".repeat(200 * 1024) } }],
        },
      };
      for (const stack of stacks) await small.app.services.stacks.importState(org.admin.caller, await stackNode(small, org, stack), state);
      const res = await small.gql(
        `query ($o: String!, $a: String!, $b: String!) { organization(name: $o) { a: stack(project: "app", name: $a) { state } b: stack(project: "app", name: $b) { state } } }`,
        { o: org.name, a: stacks[0]!.stack, b: stacks[1]!.stack },
        { token: org.admin.token },
      );
      expect(res.body.data!.organization.a.state).toEqual(state);
      expect(res.body.data!.organization.b).toEqual({ state: null });
      expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
      expect(res.body.errors![0]!.message).toMatch(/MAX_RESPONSE_BYTES.*the state of stack/);
      // the state that was not served was not audited as read either
      expect((await auditEventsOf(small, org.organization.id)).filter((e) => e.event === "stack-exported")).toHaveLength(1);
    } finally {
      await small.close();
    }
  });

  it("caps: a stack has at most 50 tags", async () => {
    const org = await createOrg(server);
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `t${i}`, value: "v" }));
    expectError(
      await server.gql(
        `mutation ($i: CreateStackInput!) { createStack(input: $i) { id } }`,
        { i: { organization: org.name, project: "p", stack: "s", tags: many } },
        { token: org.admin.token },
      ),
      "BAD_USER_INPUT",
      /at most 50 tags/,
    );
    const stack = await createStack(server, org, { tags: many.slice(0, 49) });
    const ref = { organization: org.name, project: stack.project, stack: stack.stack };
    const set = (name: string) =>
      server.gql(
        `mutation ($s: StackRef!, $n: String!) { setStackTag(input: { stack: $s, name: $n, value: "x" }) { name } }`,
        { s: ref, n: name },
        { token: org.admin.token },
      );
    expectError(await set("one-more"), "BAD_USER_INPUT", /50 tags/);
    expectOk(await set("t3")); // replacing one is fine
  });

  it("caps: an organization has at most 20 webhooks, and a request sends at most 3 pings", async () => {
    const org = await createOrg(server);
    for (let i = 0; i < 20; i++)
      await server.app.services.webhooks.create(org.admin.caller, org.organization, {
        organization: org.name,
        name: `h${i}`,
        payloadUrl: "http://127.0.0.1:9/x",
      });
    expectError(
      await server.gql(
        `mutation ($o: String!) { createWebhook(input: { organization: $o, name: "h20", payloadUrl: "http://127.0.0.1:9/x" }) { id } }`,
        { o: org.name },
        { token: org.admin.token },
      ),
      "BAD_USER_INPUT",
      /20 webhooks/,
    );
    const pings = Array.from({ length: 4 }, (_, i) => `p${i}: pingWebhook(input: { organization: $o, name: "h${i}" }) { error }`).join(" ");
    const res = await server.gql(`mutation ($o: String!) { ${pings} }`, { o: org.name }, { token: org.admin.token });
    expect(res.body.errors?.map((e) => e.message)).toEqual(["at most 3 pings per request"]);
  });

  it("update event pages stop early once their payloads pass 4 MiB, and the rest come on the next page", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const update = await server.app.services.updates.start(org.admin.caller, await stackNode(server, org, stack), "UPDATE", null);
    const big = "x".repeat(60_000);
    await server.app.services.updates.append(
      update,
      Array.from({ length: 100 }, (_, i) => ({ sequence: i, type: "stdoutEvent", payload: { message: big } })),
    );
    const page = async (after?: string) =>
      (
        await server.gql(
          `query ($o: String!, $p: String!, $s: String!, $a: String) { organization(name: $o) { stack(project: $p, name: $s) { update(version: 1) { events(first: 1000, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { sequence } } } } } }`,
          { o: org.name, p: stack.project, s: stack.stack, a: after },
          { token: org.admin.token },
        )
      ).body.data!.organization.stack.update.events;
    const first = await page();
    expect(first.nodes.length).toBeGreaterThan(10);
    expect(first.nodes.length).toBeLessThan(100);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.nodes[0].sequence).toBe(first.nodes.length);
    expect(first.totalCount).toBe(100);
  });
});

describe("flooding the append-only audit log", () => {
  const REFUSED = `accessTokens { id } auditLogEvents { totalCount } webhooks { id } exportAuditLogEvents(format: CSV) { eventCount }`;

  it("20 aliases of four refused fields write one event, which counts the other 79", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const res = await server.gql(
      `query ($o: String!) { ${aliases(20, (i) => `a${i}: organization(name: $o) { ${REFUSED} }`)} }`,
      { o: org.name },
      { token: member.token },
    );
    expect(res.body.errors).toHaveLength(80);
    const written = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(written.map((e) => [e.event, e.userLogin, e.authFailure])).toEqual([
      ["auth-failure-organization-role", member.user.login, true],
    ]);
    expect(written[0]!.description).toMatch(
      /^Refused Organization\.\w+: it requires the ADMIN role; 79 more refusals in the same request$/,
    );
  });

  it("a caller past AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL gets one summary event with the count, not one event per request", async () => {
    const budgeted = await startTestServer({ LOG_LEVEL: "warn", AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL: "3" });
    let org: OrgFixture | undefined;
    try {
      org = await createOrg(budgeted);
      const member = await addMember(budgeted, org);
      const second = (await budgeted.app.services.tokens.createPersonal(member.caller, { description: "another" })).secret;
      for (let i = 0; i < 10; i++) {
        const res = await budgeted.gql(
          `query ($o: String!) { organization(name: $o) { accessTokens { id } } }`,
          { o: org.name },
          { token: i % 2 ? second : member.token },
        );
        expectError(res, "FORBIDDEN");
      }
      const refusals = async () => (await auditEventsOf(budgeted, org!.organization.id)).filter((e) => e.authFailure);
      expect(await refusals()).toHaveLength(3); // the budget counts the user across their tokens
      let rows: { description: string }[];
      if (budgeted.postgres) {
        // at shutdown, what was held back is written; the test server's store and database
        // outlive app.close() (budgeted.close() ends them, below)
        await budgeted.app.close();
        rows = await budgeted.postgres.query<{ description: string }>(
          "select description from audit_events where organization_id = $1 and auth_failure = true order by id",
          [org.organization.id],
        );
      } else {
        await budgeted.close({ keepDir: true }); // at shutdown, what was held back is written
        const db = new Database(budgeted.databasePath, { readonly: true });
        rows = db
          .prepare("select description from audit_events where organization_id = ? and auth_failure = 1 order by id")
          .all(org.organization.id) as { description: string }[];
        db.close();
      }
      expect(rows).toHaveLength(4);
      expect(rows[3]!.description).toMatch(
        /^7 more refusals were not recorded one by one between \S+ and \S+ \(more than 3 refusal events a minute for this caller\); the first: Refused Organization\.accessTokens/,
      );
    } finally {
      if (budgeted.postgres) await budgeted.close();
      rmSync(budgeted.dir, { recursive: true, force: true });
    }
  });

  it("INSERT OR REPLACE cannot rewrite an event (nor REPLACE INTO, nor an upsert)", async () => {
    const org = await createOrg(server);
    await server.committed();
    const [event] = await auditEventsOf(server, org.organization.id);
    if (server.backend === "postgres") {
      // PostgreSQL has no INSERT OR REPLACE, REPLACE INTO or INSERT OR IGNORE; its upsert is an UPDATE, refused
      const columns = "id, organization_id, timestamp, event, description, require_org_admin, require_stack_admin, auth_failure";
      await expect(
        server.sql(
          `INSERT INTO audit_events (${columns}) VALUES ($1, $2, now(), 'organization-created', 'forged', false, false, false) ON CONFLICT (id) DO UPDATE SET description = 'forged'`,
          [event!.id, org.organization.id],
        ),
      ).rejects.toThrow(/append-only/);
      expect((await auditEventsOf(server, org.organization.id))[0]).toEqual(event);
      return;
    }
    const sqlite = new Database(server.databasePath);
    try {
      const columns = "id, organization_id, timestamp, event, description, require_org_admin, require_stack_admin, auth_failure";
      for (const statement of [
        `INSERT OR REPLACE INTO audit_events (${columns}) VALUES (?, ?, 0, 'organization-created', 'forged', 0, 0, 0)`,
        `REPLACE INTO audit_events (${columns}) VALUES (?, ?, 0, 'organization-created', 'forged', 0, 0, 0)`,
        `INSERT INTO audit_events (${columns}) VALUES (?, ?, 0, 'organization-created', 'forged', 0, 0, 0) ON CONFLICT(id) DO UPDATE SET description = 'forged'`,
        `INSERT OR IGNORE INTO audit_events (${columns}) VALUES (?, ?, 0, 'organization-created', 'forged', 0, 0, 0)`,
      ]) {
        expect(() => sqlite.prepare(statement).run(event!.id, org.organization.id), statement).toThrow(/append-only/);
      }
    } finally {
      sqlite.close();
    }
    expect((await auditEventsOf(server, org.organization.id))[0]).toEqual(event);
  });
});

describe("locking others out", () => {
  it("failed authentications throttle the failing attempts from that address, never a token that verifies", async () => {
    const limited = await startTestServer({ LOG_LEVEL: "warn", RATE_LIMIT_AUTH_FAILURES_PER_IP: "3", TRUSTED_PROXIES: "127.0.0.1" });
    try {
      const good = (await createUser(limited)).token;
      const from = (ip: string, token: string) => limited.gql("{ viewer { kind } }", {}, { token, headers: { "x-forwarded-for": ip } });
      for (let i = 0; i < 3; i++) expect((await from("198.51.100.1", generateSecret("PERSONAL"))).status).toBe(401);
      const throttled = await from("198.51.100.1", generateSecret("PERSONAL"));
      expect(throttled.status).toBe(429);
      expect(throttled.body.errors![0]!.extensions!.code).toBe("RATE_LIMITED");
      expect(Number(throttled.headers["retry-after"])).toBeGreaterThan(0);
      // the CI job beside the broken one, behind the same NAT: served
      for (let i = 0; i < 3; i++) expectOk(await from("198.51.100.1", good));
      expect((await from("198.51.100.1", "not a token at all")).status).toBe(429);
      expect((await from("198.51.100.2", generateSecret("PERSONAL"))).status).toBe(401); // another address
      // one IPv6 host (its /64) is one address, whichever interface id it picks
      for (let i = 0; i < 3; i++) expect((await from(`2001:db8:1:2::${i + 1}`, generateSecret("PERSONAL"))).status).toBe(401);
      expect((await from("2001:db8:1:2:ffff::9", generateSecret("PERSONAL"))).status).toBe(429);
      expect((await from("2001:db8:1:3::1", generateSecret("PERSONAL"))).status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it("a user is limited across all their tokens, an organization across its tokens, and a verified token only by its own limit", async () => {
    const limited = await startTestServer({ LOG_LEVEL: "warn", RATE_LIMIT_PER_PRINCIPAL: "4", RATE_LIMIT_AUTH_FAILURES_PER_IP: "1" });
    try {
      const org = await createOrg(limited);
      const second = (await limited.app.services.tokens.createPersonal(org.admin.caller, { description: "another" })).secret;
      expect((await limited.gql("{ viewer { kind } }", {}, { token: generateSecret("PERSONAL") })).status).toBe(401);
      expect((await limited.gql("{ viewer { kind } }", {}, { token: generateSecret("PERSONAL") })).status).toBe(429);
      for (let i = 0; i < 2; i++) {
        expect((await limited.gql("{ viewer { kind } }", {}, { token: org.admin.token })).status).toBe(200);
        expect((await limited.gql("{ viewer { kind } }", {}, { token: second })).status).toBe(200);
      }
      expect((await limited.gql("{ viewer { kind } }", {}, { token: second })).status).toBe(429);
      const a = (await createOrgToken(limited, org)).token;
      const b = (await createOrgToken(limited, org)).token;
      for (let i = 0; i < 2; i++) {
        expect((await limited.gql("{ viewer { kind } }", {}, { token: a })).status).toBe(200);
        expect((await limited.gql("{ viewer { kind } }", {}, { token: b })).status).toBe(200);
      }
      expect((await limited.gql("{ viewer { kind } }", {}, { token: a })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it("servers sharing one rate-limit store (a fleet) count one principal together", async () => {
    // any @fastify/rate-limit store works; this one keeps its counts in a Map both servers share
    const counts = new Map<string, { current: number; resetAt: number }>();
    class SharedStore {
      incr(key: string, cb: (e: Error | null, r?: { current: number; ttl: number }) => void, timeWindow: number) {
        const now = Date.now();
        let entry = counts.get(key);
        if (!entry || entry.resetAt <= now) counts.set(key, (entry = { current: 0, resetAt: now + timeWindow }));
        entry.current++;
        cb(null, { current: entry.current, ttl: entry.resetAt - now });
      }
      child() {
        return new SharedStore();
      }
    }
    const { buildApp } = await import("../src/server.js");
    const { loadConfig } = await import("../src/config.js");
    const first = await startTestServer({ LOG_LEVEL: "warn", RATE_LIMIT_PER_PRINCIPAL: "3" });
    // other servers on the same database: the SQLite file, or the PostgreSQL database (a pool of their own)
    const sameDatabase = first.postgres?.url ? { DATABASE_URL: first.postgres.url, SECRET_KEY: randomBytes(32).toString("hex") } : {};
    const other = await buildApp({
      config: loadConfig({
        DATABASE_PATH: first.databasePath,
        ...sameDatabase,
        LOG_LEVEL: "silent",
        DATABASE_SYNCHRONOUS: "NORMAL",
        RATE_LIMIT_PER_PRINCIPAL: "3",
      }),
      rateLimitStore: SharedStore,
    });
    try {
      // (the test server keeps its own in-memory store; a second one with the shared store:)
      const third = await buildApp({
        config: loadConfig({
          DATABASE_PATH: first.databasePath,
          ...sameDatabase,
          LOG_LEVEL: "silent",
          DATABASE_SYNCHRONOUS: "NORMAL",
          RATE_LIMIT_PER_PRINCIPAL: "3",
        }),
        rateLimitStore: SharedStore,
      });
      try {
        const user = await createUser(first);
        await first.committed();
        const ask = (app: typeof other) =>
          app.fastify.inject({
            method: "POST",
            url: "/graphql",
            headers: { "content-type": "application/json", authorization: `token ${user.token}` },
            payload: JSON.stringify({ query: "{ viewer { kind } }" }),
          });
        expect((await ask(other)).statusCode).toBe(200);
        expect((await ask(third)).statusCode).toBe(200);
        expect((await ask(other)).statusCode).toBe(200);
        expect((await ask(third)).statusCode).toBe(429);
        expect([...counts.keys()]).toEqual([`user:${user.user.id}`]);
      } finally {
        await third.close();
      }
    } finally {
      await other.close();
      await first.close();
    }
  });

  it("RATE_LIMIT_PER_TOKEN, the old name, is still read, with a warning at start", async () => {
    const old = await startTestServer({ LOG_LEVEL: "warn", RATE_LIMIT_PER_TOKEN: "2", RATE_LIMIT_PER_PRINCIPAL: "" });
    try {
      const { token } = await createUser(old);
      expect((await old.gql("{ viewer { kind } }", {}, { token })).status).toBe(200);
      expect((await old.gql("{ viewer { kind } }", {}, { token })).status).toBe(200);
      expect((await old.gql("{ viewer { kind } }", {}, { token })).status).toBe(429);
      expect(
        old.logs
          .map((l) => JSON.parse(l))
          .filter((l) => l.level === 40)
          .map((l) => l.msg),
      ).toContain(
        "RATE_LIMIT_PER_TOKEN is deprecated: rename it RATE_LIMIT_PER_PRINCIPAL (it counts per user or per organization, across their tokens)",
      );
    } finally {
      await old.close();
    }
  });

  it("names cannot be squatted: a user creates at most MAX_ORGANIZATIONS_PER_USER organizations", async () => {
    const capped = await startTestServer({ LOG_LEVEL: "warn", MAX_ORGANIZATIONS_PER_USER: "2" });
    try {
      const { token } = await createUser(capped);
      const create = (name: string) =>
        capped.gql(`mutation ($n: String!) { createOrganization(input: { name: $n }) { name } }`, { n: name }, { token });
      expectOk(await create(uniqueName("mine")));
      expectOk(await create(uniqueName("mine")));
      expectError(
        await create(uniqueName("squat")),
        "BAD_USER_INPUT",
        /created 2 organizations, the most one user may \(MAX_ORGANIZATIONS_PER_USER=2\)/,
      );
      // being added to other organizations does not count; site admins are not limited
      const other = await createOrg(capped);
      await capped.gql(
        `mutation ($o: String!, $l: String!) { addOrganizationMember(input: { organization: $o, login: $l }) { role } }`,
        { o: other.name, l: (await capped.gql("{ viewer { user { login } } }", {}, { token })).body.data!.viewer.user.login },
        { token: other.admin.token },
      );
      expectError(await create(uniqueName("squat")), "BAD_USER_INPUT");
      const siteAdmin = await createUser(capped, { siteAdmin: true });
      for (let i = 0; i < 3; i++)
        expectOk(
          await capped.gql(
            `mutation ($n: String!) { createOrganization(input: { name: $n }) { name } }`,
            { n: uniqueName("site") },
            { token: siteAdmin.token },
          ),
        );
    } finally {
      await capped.close();
    }
  });
});

describe("reading what the caller should not", () => {
  it("member emails are hidden once an enterprise trial has ended, as organization tokens stop working", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org, "MEMBER", await createUser(server, { email: "member@example.com" }));
    const emails = async () =>
      (
        await server.gql(
          `query ($o: String!) { organization(name: $o) { members { nodes { user { login email } } } } }`,
          { o: org.name },
          { token: org.admin.token },
        )
      ).body.data!.organization.members.nodes.find((n: { user: { login: string } }) => n.user.login === member.user.login).user.email;
    await setTier(server, org.name, "ENTERPRISE_GROWTH", new Date(Date.now() + 60_000));
    expect(await emails()).toBe("member@example.com");
    // the trial ends: set directly, as time passing would
    const { organizationsTable } = server.app.store.tables;
    await server.app.store.db
      .update(organizationsTable)
      .set({ trialEndsAt: new Date(Date.now() - 1000) })
      .where(eq(organizationsTable.id, org.organization.id));
    expect(await emails()).toBeNull();
    const { token } = await createOrgToken(server, await createOrg(server));
    expect((await server.gql("{ viewer { kind } }", {}, { token })).status).toBe(200);
  });

  it("an organization token sees a webhook's payload URL only as its origin (Slack and Teams URLs carry a key)", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const payloadUrl = "http://127.0.0.1:9/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX";
    await server.app.services.webhooks.create(org.admin.caller, org.organization, { organization: org.name, name: "slack", payloadUrl });
    const query = `query ($o: String!) { organization(name: $o) {
      webhooks { payloadUrl } webhooksConnection { nodes { payloadUrl } } webhook(name: "slack") { payloadUrl } } }`;
    const seenByToken = (await server.gql(query, { o: org.name }, { token })).body.data!.organization;
    expect(seenByToken).toEqual({
      webhooks: [{ payloadUrl: "http://127.0.0.1:9/…" }],
      webhooksConnection: { nodes: [{ payloadUrl: "http://127.0.0.1:9/…" }] },
      webhook: { payloadUrl: "http://127.0.0.1:9/…" },
    });
    const ping = await server.gql(
      `mutation ($o: String!) { pingWebhook(input: { organization: $o, name: "slack" }) { requestUrl } }`,
      { o: org.name },
      { token },
    );
    expect(ping.body.data!.pingWebhook.requestUrl).toBe("http://127.0.0.1:9/…");
    const deliveries = await server.gql(
      `query ($o: String!) { organization(name: $o) { webhook(name: "slack") { deliveries { nodes { requestUrl } } } } }`,
      { o: org.name },
      { token },
    );
    expect(deliveries.body.data!.organization.webhook.deliveries.nodes).toEqual([{ requestUrl: "http://127.0.0.1:9/…" }]);
    expect(JSON.stringify(server.responses.slice(-3))).not.toContain("XXXXXXXX");
    // the admin who manages it sees it whole
    expect((await server.gql(query, { o: org.name }, { token: org.admin.token })).body.data!.organization.webhook.payloadUrl).toBe(
      payloadUrl,
    );
  });

  it("a webhook URL holding an access token secret is refused", async () => {
    const org = await createOrg(server);
    const secret = (await server.app.services.tokens.createPersonal(org.admin.caller, { description: "leaked" })).secret;
    for (const payloadUrl of [
      `http://127.0.0.1:9/hook?token=${secret}`,
      `http://127.0.0.1:9/${encodeURIComponent(secret).replace("_", "%5F")}`,
    ]) {
      const res = await server.gql(
        `mutation ($o: String!, $u: String!) { createWebhook(input: { organization: $o, name: "h", payloadUrl: $u }) { id } }`,
        { o: org.name, u: payloadUrl },
        { token: org.admin.token },
      );
      expectError(res, "BAD_USER_INPUT", /holds an access token secret/);
    }
  });

  it("a delivery error does not tell whether an internal host name exists: one answer for every refused destination", async () => {
    // resolved without DNS traffic: one name does not exist, the other is an internal (here loopback) host
    const lookup = ((hostname: string, _options: unknown, callback: (...args: unknown[]) => void) => {
      if (hostname === "db.internal.example") return callback(null, [{ address: "127.0.0.1", family: 4 }]);
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
    }) as unknown as LookupFunction;
    const sender = new WebhookSender({ allowPrivateNetworks: false, timeoutMs: 2000, lookup });
    try {
      const exists = await sender.send("http://db.internal.example/x", "{}", {});
      const missing = await sender.send("http://nothing.internal.example/x", "{}", {});
      expect(exists.error).toBe("destination not allowed");
      expect(missing.error).toBe("destination not allowed");
    } finally {
      sender.close();
    }
  });

  // the SQLite file, its -wal and -shm files and their directory: nothing of the kind on PostgreSQL
  it.skipIf(testBackend() !== "sqlite")(
    "the data directory and files Gatehouse creates are private: 0700 and 0600 (-wal and -shm included)",
    async () => {
      const base = mkdtempSync(join(tmpdir(), "gatehouse-modes-"));
      try {
        const path = join(base, "data", "nested", "gatehouse.db");
        const db = SqliteStore.open(path);
        db.connection.prepare("create table t (x)").run();
        expect(statSync(join(base, "data", "nested")).mode & 0o777).toBe(0o700);
        for (const file of ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"]) {
          expect(statSync(join(base, "data", "nested", file)).mode & 0o777, file).toBe(0o600);
        }
        await db.close();
        // a directory the operator made keeps its mode
        mkdirSync(join(base, "shared"), { mode: 0o750 });
        chmodSync(join(base, "shared"), 0o750);
        await SqliteStore.open(join(base, "shared", "g.db")).close();
        expect(statSync(join(base, "shared")).mode & 0o777).toBe(0o750);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  );
});

describe("smuggling text", () => {
  it("names and descriptions refuse bidirectional overrides and invisible characters", async () => {
    const org = await createOrg(server);
    const team = (displayName: string) =>
      server.gql(
        `mutation ($o: String!, $n: String!, $d: String!) { createTeam(input: { organization: $o, name: $n, displayName: $d }) { name } }`,
        { o: org.name, n: uniqueName("t"), d: displayName },
        { token: org.admin.token },
      );
    for (const text of [
      "invoice\u202Efdp.exe",
      "a\u2066b\u2069",
      "\u2067x",
      "\u2068x",
      "zero\u200Bwidth",
      "\u200B",
      "\uFEFFbom",
      "\u3164",
      "w\u2060j",
    ]) {
      expectError(await team(text), "BAD_USER_INPUT", /invisible or text-direction characters \(U\+[0-9A-F]{4}\)/);
    }
    expectError(await team("\u200D"), "BAD_USER_INPUT", /must not be empty/);
    const description = await server.gql(
      `mutation ($d: String!) { createPersonalAccessToken(input: { description: $d }) { token { id } } }`,
      { d: "ci\u202E" },
      { token: org.admin.token },
    );
    expectError(description, "BAD_USER_INPUT", /description must not contain invisible/);
    // joiners inside real text are fine: Persian, emoji sequences
    expectOk(await team("می\u200Cخواهم"));
    expectOk(await team("👩\u200D💻 team"));
  });

  it("a secret used as the operation name is redacted in the log line", async () => {
    const org = await createOrg(server);
    const { secret } = await server.app.services.tokens.createPersonal(org.admin.caller, { description: "pasted" });
    const logged = await startTestServer({ LOG_LEVEL: "info" });
    try {
      const { token } = await createUser(logged);
      expectOk(await logged.gql(`query ${secret} { viewer { kind } }`, {}, { token, headers: { "x-request-id": "op-name" } }));
      const line = logged.logs.map((l) => JSON.parse(l)).find((l) => l.reqId === "op-name");
      expect(line.operation).toBe("[secret redacted]");
      expect(logged.logs.join("")).not.toContain(secret.slice(4));
    } finally {
      await logged.close();
    }
  });

  it("a secret the client sent in the wrong place is redacted, even in graphql-js's own messages", async () => {
    const org = await createOrg(server);
    const { secret } = await server.app.services.tokens.createPersonal(org.admin.caller, { description: "pasted" });
    const res = await server.gql(
      `query ($n: Int) { organization(name: "x") { stacks(first: $n) { totalCount } } }`,
      { n: secret },
      { token: org.admin.token },
    );
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.raw).not.toContain(secret.slice(4, 34));
    expect(res.raw).toContain("[secret redacted]");
  });
});

describe("malformed input: a client error, never a 500", () => {
  it("JSON nested 100,000 deep in a variable", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    const query = `mutation ($s: StackRef!, $v: JSON!) { importStackState(input: { stack: $s, state: $v }) { name } }`;
    const res = await server.app.fastify.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json", authorization: `token ${org.admin.token}` },
      payload: `{"query":${JSON.stringify(query)},"variables":{"s":${JSON.stringify({ organization: org.name, project: stack.project, stack: stack.stack })},"v":${deep}}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      errors: [{ message: "variables nest more than 100 levels deep", extensions: { code: "BAD_USER_INPUT" } }],
    });
  });

  it("a repeated query parameter on the export route", async () => {
    const org = await createOrg(server);
    const res = await server.app.fastify.inject({
      method: "GET",
      url: `/api/orgs/${org.name}/auditlogs/export?format=csv&format=cef`,
      headers: { authorization: `token ${org.admin.token}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ errors: [{ message: "format is given 2 times: give it once", extensions: { code: "BAD_USER_INPUT" } }] });
  });

  it("an operationName that names no operation of the document", async () => {
    const { token } = await createUser(server);
    const inject = (payload: unknown) =>
      server.app.fastify.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", authorization: `token ${token}` },
        payload: JSON.stringify(payload),
      });
    const named = await inject({ query: "query A { viewer { kind } }", operationName: "B" });
    expect(named.statusCode).toBe(400);
    expect(named.json()).toEqual({
      errors: [{ message: 'operationName "B" names no operation in the document', extensions: { code: "BAD_USER_INPUT" } }],
    });
    const unnamed = await inject({ query: "query A { viewer { kind } } query B { viewer { kind } }" });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json().errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("automatic persisted queries are off: any use of them is a clear 400", async () => {
    const { token } = await createUser(server);
    const inject = (payload: unknown) =>
      server.app.fastify.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", authorization: `token ${token}` },
        payload: JSON.stringify(payload),
      });
    const expected = {
      errors: [
        { message: "automatic persisted queries are not supported: send the document in `query`", extensions: { code: "BAD_USER_INPUT" } },
      ],
    };
    for (const payload of [
      { query: "{ viewer { kind } }", extensions: { persistedQuery: { version: 2, sha256Hash: "abc" } } },
      { query: "{ viewer { kind } }", extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38" } } },
    ]) {
      const res = await inject(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toEqual(expected);
    }
    const get = await server.app.fastify.inject({
      method: "GET",
      url: `/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: "abc" } }))}`,
      headers: { authorization: `token ${token}`, "apollo-require-preflight": "1" },
    });
    expect(get.statusCode).toBe(400);
    expect(get.json()).toEqual(expected);
  });

  it("variable errors name the variable and the path inside it, as graphql-js does", async () => {
    const org = await createOrg(server);
    const stack = { organization: org.name, project: "p", stack: "s" };
    const startUpdate = await server.gql(
      `mutation ($i: StartUpdateInput!) { startUpdate(input: $i) { id } }`,
      { i: { stack, kind: "DEPLOY" } },
      { token: org.admin.token },
    );
    expect(startUpdate.status).toBe(400);
    expect(startUpdate.body.errors).toEqual([
      {
        message:
          'Variable "$i" got invalid value "DEPLOY" at "i.kind"; Value "DEPLOY" does not exist in "UpdateKind" enum. Did you mean the enum value "DESTROY"?',
        locations: [{ line: 1, column: 11 }],
        extensions: { code: "BAD_USER_INPUT" },
      },
    ]);
    const role = await server.gql(
      `mutation ($i: AddOrganizationMemberInput!) { addOrganizationMember(input: $i) { role } }`,
      { i: { organization: org.name, login: "x", role: "OWNER" } },
      { token: org.admin.token },
    );
    expect(role.body.errors![0]!.message).toBe(
      'Variable "$i" got invalid value "OWNER" at "i.role"; Value "OWNER" does not exist in "OrganizationRole" enum.',
    );
    const number = await server.gql(
      `query ($o: String!, $n: Int) { organization(name: $o) { stacks(first: $n) { totalCount } } }`,
      { o: org.name, n: "ten" },
      { token: org.admin.token },
    );
    expect(number.body.errors![0]!.message).toBe('Variable "$n" got invalid value "ten"; Int cannot represent non-integer value: "ten"');
    const date = await server.gql(
      `mutation ($i: CreatePersonalAccessTokenInput!) { createPersonalAccessToken(input: $i) { token { id } } }`,
      { i: { description: "ci", expiresAt: "next tuesday" } },
      { token: org.admin.token },
    );
    expect(date.body.errors![0]!.message).toMatch(/^Variable "\$i" got invalid value "next tuesday" at "i\.expiresAt"; /);
    for (const res of [role, number, date]) expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
  });

  it("in production, variable errors make no suggestions (they would name schema values)", async () => {
    const production = await startTestServer({ LOG_LEVEL: "warn", NODE_ENV: "production" });
    try {
      const org = await createOrg(production);
      const res = await production.gql(
        `mutation ($i: StartUpdateInput!) { startUpdate(input: $i) { id } }`,
        { i: { stack: { organization: org.name, project: "p", stack: "s" }, kind: "DEPLOY" } },
        { token: org.admin.token },
      );
      expect(res.body.errors![0]!.message).toBe(
        'Variable "$i" got invalid value "DEPLOY" at "i.kind"; Value "DEPLOY" does not exist in "UpdateKind" enum.',
      );
    } finally {
      await production.close();
    }
  });
});

describe("starving other organizations", () => {
  it("webhook deliveries are shared fairly: a backlog in one organization does not hold another's events", async () => {
    const hanging = await new WebhookReceiver().start();
    hanging.fallback = { hang: true };
    const quick = await new WebhookReceiver().start();
    const fair = await startTestServer({
      LOG_LEVEL: "warn",
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      WEBHOOK_TIMEOUT: "2s",
      WEBHOOK_DISPATCHER: "false",
    });
    try {
      const noisy = await createOrg(fair);
      const other: OrgFixture = await createOrg(fair);
      await fair.app.services.webhooks.create(noisy.admin.caller, noisy.organization, {
        organization: noisy.name,
        name: "slow",
        payloadUrl: hanging.url(),
      });
      await fair.app.services.webhooks.create(other.admin.caller, other.organization, {
        organization: other.name,
        name: "fast",
        payloadUrl: quick.url(),
      });
      for (let i = 0; i < 30; i++) await createStack(fair, noisy); // 30 events queued first, to a receiver that hangs
      await createStack(fair, other);
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
