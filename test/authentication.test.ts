import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../src/lib/token-secret.js";
import { loadConfig } from "../src/config.js";
import { OTHER_CONNECTIONS_LOOK_EVERY_MS } from "../src/db/sqlite/change-stamp.js";
import { buildApp } from "../src/server.js";
import { expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createUser, setTier } from "./support/factories.js";
import { type GraphQLResponse, startTestServer, testBackend, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const VIEWER = "{ viewer { kind tokenId tokenExpiresAt user { login } organizationToken { name } } }";

function expect401(res: GraphQLResponse) {
  expect(res.status).toBe(401);
  expect(res.headers["www-authenticate"]).toBe("Token");
  expectError(res, "UNAUTHENTICATED");
}

async function tokenRow(id: string) {
  const { db, tables } = server.app.store;
  const [row] = await db.select().from(tables.accessTokensTable).where(eq(tables.accessTokensTable.id, id));
  return row!;
}

/** A time as a parameter of `server.sql`: SQLite keeps milliseconds, PostgreSQL a timestamp. */
const at = (ms: number) => (server.backend === "sqlite" ? ms : new Date(ms));

/**
 * A write on another connection to the database than the server's (another server, the CLI):
 * a connection of its own to the SQLite file; on PostgreSQL, the test database's own pool.
 */
async function sqlElsewhere(text: string, params: unknown[]): Promise<void> {
  if (server.postgres) {
    await server.postgres.query(text, params);
    return;
  }
  const other = new Database(server.databasePath);
  try {
    other.prepare(text.replace(/\$\d+/g, "?")).run(...params);
  } finally {
    other.close();
  }
}

/** Spies on the reads of a token row (Authenticator.load: a cache miss, or every request on PostgreSQL). */
const tokenLookups = () => vi.spyOn(server.app.services.authenticator as unknown as { load(hash: string): Promise<unknown> }, "load");

describe("without a token", () => {
  it("may run introspection", async () => {
    const res = await server.gql("{ __schema { queryType { name } } }");
    expectOk(res);
    expect(res.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  it("gets 401 UNAUTHENTICATED with WWW-Authenticate for anything else", async () => {
    expect401(await server.gql(VIEWER));
  });
});

describe("Authorization header", () => {
  it("accepts `token <secret>` and `Bearer <secret>`, scheme in any case", async () => {
    const { token, user } = await createUser(server);
    for (const authorization of [`token ${token}`, `Bearer ${token}`, `TOKEN ${token}`, `bearer ${token}`]) {
      const res = await server.gql(VIEWER, {}, { authorization });
      expectOk(res);
      expect(res.body.data!.viewer.user.login).toBe(user.login);
    }
  });

  it("refuses other schemes and malformed secrets with 401", async () => {
    const { token } = await createUser(server);
    for (const authorization of [`Basic ${token}`, token, "token", `token ${token} extra`, `token ${token.slice(0, -1)}`]) {
      expect401(await server.gql(VIEWER, {}, { authorization }));
    }
  });

  it("refuses a secret whose checksum fails without touching the database", async () => {
    const { token } = await createUser(server);
    const typo = token.slice(0, 10) + (token[10] === "a" ? "b" : "a") + token.slice(11);
    const lookup = tokenLookups();
    expect401(await server.gql(VIEWER, {}, { token: typo }));
    expect(lookup).not.toHaveBeenCalled();
    expectOk(await server.gql(VIEWER, {}, { token }));
    expect(lookup).toHaveBeenCalledTimes(1);
    lookup.mockRestore();
  });

  it("refuses a well-formed secret that was never issued", async () => {
    expect401(await server.gql(VIEWER, {}, { token: generateSecret("PERSONAL") }));
    expect401(await server.gql(VIEWER, {}, { token: generateSecret("ORGANIZATION") }));
  });
});

describe("deleted and expired tokens", () => {
  it("a deleted personal token fails on the very next request", async () => {
    const { token, tokenRow: row } = await createUser(server);
    expectOk(await server.gql(VIEWER, {}, { token }));
    expectOk(await server.gql("mutation ($id: ID!) { deletePersonalAccessToken(id: $id) }", { id: row.id }, { token }));
    expect401(await server.gql(VIEWER, {}, { token }));
  });

  it("a deleted org token fails at once on another server sharing the database", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org);
    await server.committed(); // the other connection authenticates before this turn's group commits
    // the same SQLite file, or the same PostgreSQL database (through a pool of its own)
    const sameDatabase = server.postgres?.url ? { DATABASE_URL: server.postgres.url, SECRET_KEY: "0".repeat(64) } : {};
    const other = await buildApp({
      config: loadConfig({ DATABASE_PATH: server.databasePath, ...sameDatabase, LOG_LEVEL: "silent", DATABASE_SYNCHRONOUS: "NORMAL" }),
    });
    try {
      const viaOther = async () =>
        other.fastify.inject({
          method: "POST",
          url: "/graphql",
          headers: { "content-type": "application/json", authorization: `token ${token}` },
          payload: JSON.stringify({ query: "{ viewer { kind } }" }),
        });
      expect((await viaOther()).statusCode).toBe(200);
      expectOk(
        await server.gql(
          "mutation ($org: String!, $id: ID!) { deleteOrganizationAccessToken(organization: $org, id: $id) }",
          { org: org.name, id: row.id },
          { token: org.admin.token },
        ),
      );
      const after = await viaOther();
      expect(after.statusCode).toBe(401);
      expect(after.json().errors[0].extensions.code).toBe("UNAUTHENTICATED");
    } finally {
      await other.close();
    }
  });

  it("an expired token authenticates nothing", async () => {
    const { token, tokenRow: row } = await createUser(server);
    expectOk(await server.gql(VIEWER, {}, { token }));
    const { accessTokensTable } = server.app.store.tables;
    await server.app.store.db
      .update(accessTokensTable)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(accessTokensTable.id, row.id));
    const res = await server.gql(VIEWER, {}, { token });
    expect401(res);
    expect(res.body.errors![0]!.message).toMatch(/expired/);
  });

  it("a token that has not expired yet works and reports its expiry", async () => {
    const { token } = await createUser(server);
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const created = await server.gql(
      'mutation ($e: DateTime) { createPersonalAccessToken(input: { description: "short", expiresAt: $e }) { secret token { id expiresAt } } }',
      { e: expiresAt },
      { token },
    );
    expectOk(created);
    const payload = created.body.data!.createPersonalAccessToken;
    const res = await server.gql(VIEWER, {}, { token: payload.secret });
    expectOk(res);
    expect(res.body.data!.viewer).toMatchObject({ kind: "USER", tokenId: payload.token.id, tokenExpiresAt: expiresAt });
  });
});

describe("organization tokens and the subscription", () => {
  it("authenticate while the tier includes them, and get 403 FORBIDDEN when it stops", async () => {
    const org = await createOrg(server, { tier: "BUSINESS_CRITICAL" });
    const { token, row } = await createOrgToken(server, org);
    const res = await server.gql(VIEWER, {}, { token });
    expectOk(res);
    expect(res.body.data!.viewer).toMatchObject({ kind: "ORGANIZATION_TOKEN", tokenId: row.id, user: null });

    await setTier(server, org.name, "TEAM");
    const refused = await server.gql(VIEWER, {}, { token });
    expect(refused.status).toBe(403);
    expectError(refused, "FORBIDDEN", /subscription/);

    await setTier(server, org.name, "ENTERPRISE_GROWTH", new Date(Date.now() + 86_400_000));
    expectOk(await server.gql(VIEWER, {}, { token }));
  });

  it("stop when a trial has ended", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    await setTier(server, org.name, "ENTERPRISE_GROWTH", new Date(Date.now() + 60_000));
    expectOk(await server.gql(VIEWER, {}, { token }));
    await server.sql("update organizations set trial_ends_at = $1 where id = $2", [at(Date.now() - 1), org.organization.id]);
    expectError(await server.gql(VIEWER, {}, { token }), "FORBIDDEN");
  });
});

// The cache is SQLite's (its change stamp, store.changeStamp); on PostgreSQL every request reads
// the token. What is checked of the cache runs on SQLite only; that a change is seen on the next
// request (a deletion, a subscription, elsewhere or here) holds on both.
describe("what a secret resolves to is cached only while the database is unchanged", () => {
  /** Requests until one is served from the cache (the first may refresh lastUsedAt, a write). */
  async function warm(token: string) {
    for (let i = 0; i < 3; i++) expectOk(await server.gql(VIEWER, {}, { token }));
  }

  it.skipIf(testBackend() !== "sqlite")("repeated requests read no token row while nothing was written", async () => {
    const { token } = await createUser(server);
    await warm(token);
    const spy = tokenLookups();
    for (let i = 0; i < 3; i++) expectOk(await server.gql(VIEWER, {}, { token }));
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("a token deleted by another connection to the file (another server, the CLI) fails on the next request", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org);
    await warm(token);
    await sqlElsewhere("update access_tokens set deleted_at = $1 where id = $2", [at(Date.now()), row.id]);
    expect401(await server.gql(VIEWER, {}, { token }));
  });

  it("a subscription changed by another connection takes effect on the next request", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    await warm(token);
    await sqlElsewhere("update organizations set tier = 'TEAM' where id = $1", [org.organization.id]);
    expectError(await server.gql(VIEWER, {}, { token }), "FORBIDDEN", /subscription/);
  });

  // how often the change stamp looks at other connections' commits: SQLite's (PRAGMA data_version)
  it.skipIf(testBackend() !== "sqlite")(
    "within one long turn of the event loop, a deletion by another connection is seen after a millisecond at most",
    async () => {
      const org = await createOrg(server);
      const { token, row } = await createOrgToken(server, org);
      await warm(token);
      const auth = server.app.services.authenticator;
      // one turn (here: a check-phase callback, which defers the per-turn look past the next poll
      // phase); authenticate() awaits only SQLite statements, which run at once: microtasks of the same turn
      const results = await new Promise<boolean[]>((resolve, reject) =>
        setImmediate(() => {
          void (async () => {
            const before = (await auth.authenticate(`token ${token}`)).ok;
            const other = new Database(server.databasePath);
            other.prepare("update access_tokens set deleted_at = ? where id = ?").run(Date.now(), row.id);
            other.close();
            const started = performance.now();
            while (performance.now() - started < OTHER_CONNECTIONS_LOOK_EVERY_MS + 0.1); // a busy millisecond, same turn
            resolve([before, (await auth.authenticate(`token ${token}`)).ok]);
          })().catch(reject);
        }),
      );
      expect(results).toEqual([true, false]);
    },
  );

  it("a write of this server that bypasses the services empties it too", async () => {
    const { token, tokenRow: row } = await createUser(server);
    await warm(token);
    // SQLite: on the server's own connection, under the store (PostgreSQL: no cache, read anyway)
    await server.sql("update access_tokens set deleted_at = $1 where id = $2", [at(Date.now()), row.id]);
    expect401(await server.gql(VIEWER, {}, { token }));
  });
});

describe("lastUsedAt", () => {
  it("is set by the first request, not rewritten within the minute, refreshed after it", async () => {
    const { token, tokenRow: row } = await createUser(server);
    expect((await tokenRow(row.id)).lastUsedAt).toBeNull();

    expectOk(await server.gql(VIEWER, {}, { token }));
    const first = (await tokenRow(row.id)).lastUsedAt!;
    expect(first).toBeInstanceOf(Date);
    expect(Math.abs(first.getTime() - Date.now())).toBeLessThan(5000);

    // the authenticator's writes: updates of access_tokens on the store
    const { db, tables } = server.app.store;
    const updates = vi.spyOn(db, "update");
    const writes = () => updates.mock.calls.filter(([table]) => table === tables.accessTokensTable).length;
    for (let i = 0; i < 5; i++) expectOk(await server.gql(VIEWER, {}, { token }));
    expect((await tokenRow(row.id)).lastUsedAt).toEqual(first);
    expect(writes()).toBe(0);

    const twoMinutesAgo = Date.now() - 120_000;
    await server.sql("update access_tokens set last_used_at = $1 where id = $2", [at(twoMinutesAgo), row.id]);
    expectOk(await server.gql(VIEWER, {}, { token }));
    expect(writes()).toBe(1);
    expect((await tokenRow(row.id)).lastUsedAt!.getTime()).toBeGreaterThan(twoMinutesAgo + 60_000);
    updates.mockRestore();
  });

  it("shows in the token lists", async () => {
    const { token } = await createUser(server);
    expectOk(await server.gql(VIEWER, {}, { token }));
    const res = await server.gql("{ personalAccessTokens { lastUsedAt } }", {}, { token });
    expectOk(res);
    expect(res.body.data!.personalAccessTokens[0].lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
