// `npm run demo` (the runner, in-process): it fills a fresh database, a second run creates
// nothing and prints the same tokens, every printed token works against the real server with
// the powers of its role, and no demo webhook points anywhere but loopback.
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

const dir = mkdtempSync(join(tmpdir(), "gatehouse-demo-"));
const databasePath = join(dir, "demo", "gatehouse.db");
const env = { DATABASE_PATH: databasePath, DATABASE_SYNCHRONOUS: "NORMAL", LOG_LEVEL: "silent" };

/** Counted straight from the file, not through the runner's own counts. */
function countRows(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
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
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** The seeded content, without the ids and times that differ from run to run. */
function fingerprint(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const rows = (sql: string) => JSON.stringify(db.prepare(sql).all());
    return [
      rows("SELECT project, name, resource_count FROM stacks ORDER BY seq"),
      rows("SELECT s.project, s.name, t.name, t.value FROM stack_tags t JOIN stacks s ON s.id = t.stack_id ORDER BY 1, 2, 3"),
      rows(
        "SELECT s.project, s.name, u.version, u.kind, u.status, u.message, u.requested_by, u.resource_changes FROM stack_updates u JOIN stacks s ON s.id = u.stack_id ORDER BY 1, 2, 3",
      ),
      rows(
        "SELECT s.project, s.name, u.version, e.sequence, e.type, e.payload FROM update_events e JOIN stack_updates u ON u.id = e.update_id JOIN stacks s ON s.id = u.stack_id ORDER BY 1, 2, 3, 4",
      ),
      rows("SELECT event, description, user_login, token_name FROM audit_events ORDER BY id"),
    ].join("\n");
  } finally {
    db.close();
  }
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

describe("npm run demo", () => {
  const firstLines: string[] = [];
  const secondLines: string[] = [];
  let first: DemoResult;
  let second: DemoResult;
  let countsAfterFirst: Record<string, number>;
  let countsAfterSecond: Record<string, number>;
  let app: App;

  beforeAll(async () => {
    first = runDemo(env, (line) => firstLines.push(line));
    countsAfterFirst = countRows(databasePath);
    second = runDemo(env, (line) => secondLines.push(line));
    countsAfterSecond = countRows(databasePath);
    const config = loadConfig({ ...env, WEBHOOK_DISPATCHER: "false" });
    app = await buildApp({ config, logStream: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  }, 30_000);

  afterAll(async () => {
    await app?.close();
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

  it("holds the interesting cases: a failed, a cancelled and a running update, previews, checkpoints with Pulumi URNs", () => {
    const db = new Database(databasePath, { readonly: true });
    try {
      const statuses = db.prepare("SELECT kind, status, count(*) AS n FROM stack_updates GROUP BY 1, 2").all() as {
        kind: string;
        status: string;
      }[];
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
      const types = (db.prepare("SELECT DISTINCT type FROM update_events").all() as { type: string }[]).map((r) => r.type);
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
      const state = db
        .prepare(
          "SELECT c.state FROM stack_checkpoints c JOIN stacks s ON s.id = c.stack_id WHERE s.project = 'web-api' AND s.name = 'prod'",
        )
        .get() as { state: string };
      const urns = (JSON.parse(state.state).deployment.resources as { urn: string }[]).map((r) => r.urn);
      expect(urns).toContain("urn:pulumi:prod::web-api::aws:s3/bucket:Bucket::assets");
      // the audit log shows both kinds of actor
      const actors = db
        .prepare("SELECT count(user_login) AS users, count(token_name) AS tokens FROM audit_events WHERE event = 'stack-update-started'")
        .get() as { users: number; tokens: number };
      expect(actors.users).toBeGreaterThan(0);
      expect(actors.tokens).toBeGreaterThan(0);
    } finally {
      db.close();
    }
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

  it("no webhook points anywhere but loopback", () => {
    const db = new Database(databasePath, { readonly: true });
    try {
      const urls = (db.prepare("SELECT payload_url FROM webhooks").all() as { payload_url: string }[]).map((r) => r.payload_url);
      for (const url of urls) {
        const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
        const loopback = (isIP(host) === 4 && host.startsWith("127.")) || host === "::1";
        expect(loopback, url).toBe(true);
      }
    } finally {
      db.close();
    }
  });

  it("issues fresh tokens when the tokens file is gone or a token was revoked, and says so", async () => {
    unlinkSync(first.tokensFile);
    const lines: string[] = [];
    const third = runDemo(env, (line) => lines.push(line));
    expect(third.created).toBe(false);
    expect(third.reissued.map((r) => r.role)).toEqual(["admin", "member", "billing manager", "org token", "site admin"]);
    expect(lines.join("\n")).toMatch(/issued a fresh token for org token \(ci-deploy-2\): it was not in gatehouse.demo-tokens.json/);
    const tokens = printedTokens(lines);
    expect((await gql(tokens.get("org token")!, "{ viewer { organizationToken { name } } }")).body.data.viewer.organizationToken.name).toBe(
      "ci-deploy-2",
    );

    // revoke the member's token: only that one is reissued
    const member = tokens.get("member")!;
    const db = new Database(databasePath);
    db.prepare("UPDATE access_tokens SET deleted_at = ? WHERE secret_hash = ?").run(Date.now(), hashSecret(member));
    db.close();
    const fourth = runDemo(env, () => {});
    expect(fourth.reissued).toEqual([{ role: "member", principal: "bob", reason: "the saved one was revoked or has expired" }]);
    const fresh = fourth.tokens.find((t) => t.role === "member")!.secret;
    expect(fresh).not.toBe(member);
    expect((await gql(fresh, "{ viewer { user { login } } }")).body.data.viewer.user.login).toBe("bob");
  });

  it("two fresh runs look alike (the first database has changed since, so two new ones)", () => {
    const [a, b] = ["a", "b"].map((name) => join(dir, name, "gatehouse.db"));
    runDemo({ ...env, DATABASE_PATH: a }, () => {});
    runDemo({ ...env, DATABASE_PATH: b }, () => {});
    expect(fingerprint(a!)).toBe(fingerprint(b!));
  });
});
