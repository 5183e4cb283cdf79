// `npm run demo` (the runner, in-process): it fills a fresh database, a second run creates
// nothing and prints the same tokens, every printed token works against the real server with
// the powers of its role, and no demo webhook points anywhere but loopback.
// On SQLite it runs against DATABASE_PATH; on the PostgreSQL pass against DATABASE_URL of a
// test database of its own (test/support/postgres.ts), with SECRET_KEY set as DATABASE_URL
// requires (DATABASE_PATH then only says where the token files go).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, unlinkSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../src/lib/token-secret.js";
import { loadConfig } from "../src/config.js";
import { type App, buildApp } from "../src/server.js";
import { type DemoResult, runDemo } from "../src/scripts/demo.js";
import { openTestPostgres, postgresBackend, type TestPostgres } from "./support/postgres.js";
import { testBackend } from "./support/test-server.js";

const onPostgres = testBackend() === "postgres";
// the demo opens its own store from DATABASE_URL: PGlite (no server answering) has no URL
const noServer = onPostgres && (await postgresBackend()) !== "server";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-demo-"));
const SECRET_KEY = randomBytes(32).toString("hex");

/** A fresh database for the demo: its env, and plain SQL on it (`$1` parameters, rows as objects). */
interface DemoDatabase {
  env: Record<string, string>;
  /** Where the demo's files go (and on SQLite, the database itself). */
  path: string;
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** A time as a parameter of `query`. */
  time(date: Date): unknown;
  close(): Promise<void>;
}

const opened: DemoDatabase[] = [];

async function demoDatabase(name: string): Promise<DemoDatabase> {
  const path = join(dir, name, "gatehouse.db");
  const base = { DATABASE_PATH: path, DATABASE_SYNCHRONOUS: "NORMAL", LOG_LEVEL: "silent" };
  let database: DemoDatabase;
  if (onPostgres) {
    const postgres: TestPostgres = await openTestPostgres();
    database = {
      env: { ...base, DATABASE_URL: postgres.url!, SECRET_KEY },
      path,
      query: (text, params) => postgres.query(text, params),
      time: (date) => date,
      close: () => postgres.close(),
    };
  } else {
    database = {
      env: base,
      path,
      // a connection of its own for each query, as another process would read the file
      query: async <R>(text: string, params: unknown[] = []) => {
        const db = new Database(path);
        try {
          // better-sqlite3 binds no `?NNN` positionally: plain `?`, the values in the order they appear
          const values = [...text.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
          const statement = db.prepare(text.replace(/\$(\d+)/g, "?"));
          if (statement.reader) return statement.all(...values) as R[];
          statement.run(...values);
          return [];
        } finally {
          db.close();
        }
      },
      time: (date) => date.getTime(),
      close: async () => {},
    };
  }
  opened.push(database);
  return database;
}

/** count(*) as a number on both (PostgreSQL's is a bigint, which pg reads as a string). */
const COUNT = "cast(count(*) as integer)";

/** Counted straight from the database, not through the runner's own counts. */
async function countRows(database: DemoDatabase): Promise<Record<string, number>> {
  const tables = [
    "users",
    "organizations",
    "memberships",
    "teams",
    "team_members",
    "team_stack_grants",
    "stacks",
    "stack_tags",
    "stack_updates",
    "update_events",
    "stack_checkpoints",
    "access_tokens",
    "audit_events",
    "webhooks",
  ];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = (await database.query<{ n: number }>(`SELECT ${COUNT} AS n FROM ${t}`))[0]!.n;
  return counts;
}

/** The seeded content, without the ids and times that differ from run to run. */
async function fingerprint(database: DemoDatabase): Promise<string> {
  const rows = async (sql: string) => JSON.stringify(await database.query(sql));
  return [
    await rows("SELECT project, name, resource_count FROM stacks ORDER BY seq"),
    await rows("SELECT s.project, s.name, t.name, t.value FROM stack_tags t JOIN stacks s ON s.id = t.stack_id ORDER BY 1, 2, 3"),
    await rows(
      "SELECT s.project, s.name, u.version, u.kind, u.status, u.message, u.requested_by, u.resource_changes FROM stack_updates u JOIN stacks s ON s.id = u.stack_id ORDER BY 1, 2, 3",
    ),
    await rows(
      "SELECT s.project, s.name, u.version, e.sequence, e.type, e.payload FROM update_events e JOIN stack_updates u ON u.id = e.update_id JOIN stacks s ON s.id = u.stack_id ORDER BY 1, 2, 3, 4",
    ),
    await rows("SELECT event, description, user_login, token_name FROM audit_events ORDER BY id"),
  ].join("\n");
}

/** The token table as a user reads it: role → secret. */
function printedTokens(lines: string[]): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const line of lines) {
    const match = /^ {2}(admin|member|billing manager|org token|site admin) +\S+ +(gt[po]_[0-9A-Za-z]{36})\b/.exec(line);
    if (match) tokens.set(match[1]!, match[2]!);
  }
  return tokens;
}

describe.skipIf(noServer)("npm run demo", () => {
  let database: DemoDatabase;
  let env: Record<string, string>;
  const firstLines: string[] = [];
  const secondLines: string[] = [];
  let first: DemoResult;
  let second: DemoResult;
  let countsAfterFirst: Record<string, number>;
  let countsAfterSecond: Record<string, number>;
  let app: App;

  beforeAll(async () => {
    database = await demoDatabase("demo");
    env = database.env;
    first = await runDemo(env, (line) => firstLines.push(line));
    countsAfterFirst = await countRows(database);
    second = await runDemo(env, (line) => secondLines.push(line));
    countsAfterSecond = await countRows(database);
    const config = loadConfig({ ...env, WEBHOOK_DISPATCHER: "false" });
    app = await buildApp({ config, logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    for (const d of opened) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function gql(token: string, query: string) {
    const res = await app.fastify.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json", authorization: `token ${token}` },
      payload: JSON.stringify({ query }),
    });
    return { status: res.statusCode, body: JSON.parse(res.body) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
  }

  it("creates a realistic organization once; the second run creates nothing and prints the same tokens", () => {
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.reissued).toEqual([]);
    expect(countsAfterSecond).toEqual(countsAfterFirst);
    expect(second.counts).toEqual(first.counts);
    expect(first.counts).toMatchObject({ members: 8, teams: 3, stacks: 30, orgTokens: 2 });
    expect(first.counts.updates).toBeGreaterThan(100);
    expect(first.counts.events).toBeGreaterThan(2000);
    expect(first.counts.auditEvents).toBeGreaterThan(first.counts.updates);

    const printedFirst = printedTokens(firstLines);
    expect([...printedFirst.keys()]).toEqual(["admin", "member", "billing manager", "org token", "site admin"]);
    expect(printedTokens(secondLines)).toEqual(printedFirst);
    expect(secondLines.join("\n")).toContain("nothing created");
    expect(firstLines.join("\n")).toContain("http://127.0.0.1:4000/graphql");
    expect(firstLines.join("\n")).toMatch(/curl -s http:\/\/127\.0\.0\.1:4000\/graphql -H "Authorization: token gtp_/);
    expect(statSync(first.tokensFile).mode & 0o777).toBe(0o600);
  });

  it("holds the interesting cases: a failed, a cancelled and a running update, previews, checkpoints with Pulumi URNs", async () => {
    const statuses = await database.query<{ kind: string; status: string }>(
      `SELECT kind, status, ${COUNT} AS n FROM stack_updates GROUP BY 1, 2`,
    );
    for (const [kind, status] of [
      ["UPDATE", "FAILED"],
      ["UPDATE", "CANCELLED"],
      ["UPDATE", "RUNNING"],
      ["PREVIEW", "SUCCEEDED"],
      ["DESTROY", "SUCCEEDED"],
      ["REFRESH", "SUCCEEDED"],
    ]) {
      expect(statuses).toContainEqual(expect.objectContaining({ kind, status }));
    }
    const types = (await database.query<{ type: string }>("SELECT DISTINCT type FROM update_events")).map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "preludeEvent",
        "stdoutEvent",
        "resourcePreEvent",
        "resOutputsEvent",
        "diagnosticEvent",
        "summaryEvent",
        "resOpFailedEvent",
        "cancelEvent",
      ]),
    );
    const [state] = await database.query<{ state: string }>(
      "SELECT c.state FROM stack_checkpoints c JOIN stacks s ON s.id = c.stack_id WHERE s.project = 'web-api' AND s.name = 'prod'",
    );
    const urns = (JSON.parse(state!.state).deployment.resources as { urn: string }[]).map((r) => r.urn);
    expect(urns).toContain("urn:pulumi:prod::web-api::aws:s3/bucket:Bucket::assets");
    // the audit log shows both kinds of actor
    const [actors] = await database.query<{ users: number; tokens: number }>(
      "SELECT cast(count(user_login) as integer) AS users, cast(count(token_name) as integer) AS tokens FROM audit_events WHERE event = 'stack-update-started'",
    );
    expect(actors!.users).toBeGreaterThan(0);
    expect(actors!.tokens).toBeGreaterThan(0);
  });

  it("every printed token works, with its role's powers", async () => {
    const tokens = printedTokens(firstLines);
    const viewer = "{ viewer { kind user { login isSiteAdmin } organizationToken { name } } }";
    const expected: Record<string, object> = {
      admin: { kind: "USER", user: { login: "alice", isSiteAdmin: false }, organizationToken: null },
      member: { kind: "USER", user: { login: "bob", isSiteAdmin: false }, organizationToken: null },
      "billing manager": { kind: "USER", user: { login: "fiona", isSiteAdmin: false }, organizationToken: null },
      "org token": { kind: "ORGANIZATION_TOKEN", user: null, organizationToken: { name: "ci-deploy" } },
      "site admin": { kind: "USER", user: { login: "sam", isSiteAdmin: true }, organizationToken: null },
    };
    for (const [role, token] of tokens) {
      const res = await gql(token, viewer);
      expect(res.status, role).toBe(200);
      expect(res.body.data.viewer, role).toEqual(expected[role]);
    }

    const stacks = '{ organization(name: "acme-corp") { stacks(first: 100) { totalCount nodes { viewerPermission } } } }';
    const admin = await gql(tokens.get("admin")!, stacks);
    expect(admin.body.data.organization.stacks.totalCount).toBe(30);
    expect(admin.body.data.organization.stacks.nodes.every((n: { viewerPermission: string }) => n.viewerPermission === "ADMIN")).toBe(true);
    const adminTokens = await gql(tokens.get("admin")!, '{ organization(name: "acme-corp") { accessTokens { name } } }');
    expect(adminTokens.body.data.organization.accessTokens.map((t: { name: string }) => t.name)).toEqual(["ci-deploy", "preview-bot"]);

    const member = await gql(tokens.get("member")!, '{ organization(name: "acme-corp") { accessTokens { id } } }');
    expect(member.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await gql(tokens.get("member")!, stacks)).body.data.organization.stacks.totalCount).toBe(30); // READ by default

    const orgToken = await gql(tokens.get("org token")!, stacks);
    expect(orgToken.body.data.organization.stacks.nodes.every((n: { viewerPermission: string }) => n.viewerPermission === "WRITE")).toBe(
      true,
    );
    // a billing manager sees only stacks granted to their teams: none
    expect((await gql(tokens.get("billing manager")!, stacks)).body.data.organization.stacks.totalCount).toBe(0);
  });

  it("no webhook points anywhere but loopback", async () => {
    const urls = (await database.query<{ payload_url: string }>("SELECT payload_url FROM webhooks")).map((r) => r.payload_url);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
      const loopback = (isIP(host) === 4 && host.startsWith("127.")) || host === "::1";
      expect(loopback, url).toBe(true);
    }
  });

  it("issues fresh tokens when the tokens file is gone or a token was revoked, and says so", async () => {
    unlinkSync(first.tokensFile);
    const lines: string[] = [];
    const third = await runDemo(env, (line) => lines.push(line));
    expect(third.created).toBe(false);
    expect(third.reissued.map((r) => r.role)).toEqual(["admin", "member", "billing manager", "org token", "site admin"]);
    expect(lines.join("\n")).toMatch(/issued a fresh token for org token \(ci-deploy-2\): it was not in gatehouse.demo-tokens.json/);
    const tokens = printedTokens(lines);
    expect((await gql(tokens.get("org token")!, "{ viewer { organizationToken { name } } }")).body.data.viewer.organizationToken.name).toBe(
      "ci-deploy-2",
    );

    // revoke the member's token: only that one is reissued
    const member = tokens.get("member")!;
    await database.query("UPDATE access_tokens SET deleted_at = $1 WHERE secret_hash = $2", [
      database.time(new Date()),
      hashSecret(member),
    ]);
    const fourth = await runDemo(env, () => {});
    expect(fourth.reissued).toEqual([{ role: "member", principal: "bob", reason: "the saved one was revoked or has expired" }]);
    const fresh = fourth.tokens.find((t) => t.role === "member")!.secret;
    expect(fresh).not.toBe(member);
    expect((await gql(fresh, "{ viewer { user { login } } }")).body.data.viewer.user.login).toBe("bob");
  });

  it("two fresh runs look alike (the first database has changed since, so two new ones)", async () => {
    const a = await demoDatabase("a");
    const b = await demoDatabase("b");
    await runDemo(a.env, () => {});
    await runDemo(b.env, () => {});
    expect(await fingerprint(a)).toBe(await fingerprint(b));
  });
});
