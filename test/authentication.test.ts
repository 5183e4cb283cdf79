import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { generateSecret } from "../src/lib/token-secret.js";
import { loadConfig } from "../src/config.js";
import { OTHER_CONNECTIONS_LOOK_EVERY_MS } from "../src/db/change-stamp.js";
import { accessTokensTable } from "../src/db/schema.js";
import { buildApp } from "../src/server.js";
import { expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createUser, setTier } from "./support/factories.js";
import { type GraphQLResponse, startTestServer, type TestServer } from "./support/test-server.js";

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

const tokenRow = (id: string) => server.app.db.select().from(accessTokensTable).where(eq(accessTokensTable.id, id)).get()!;

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
    const lookup = vi.spyOn((server.app.services.authenticator as any).findBySecretHash, "get");
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
    const other = await buildApp({
      config: loadConfig({ DATABASE_PATH: server.databasePath, LOG_LEVEL: "silent", DATABASE_SYNCHRONOUS: "NORMAL" }),
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
    server.app.db
      .update(accessTokensTable)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(accessTokensTable.id, row.id))
      .run();
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
    server.app.db.$client.prepare("update organizations set trial_ends_at = ? where id = ?").run(Date.now() - 1, org.organization.id);
    expectError(await server.gql(VIEWER, {}, { token }), "FORBIDDEN");
  });
});

describe("what a secret resolves to is cached only while the database is unchanged", () => {
  const lookups = () => vi.spyOn((server.app.services.authenticator as any).findBySecretHash, "get");
  /** Requests until one is served from the cache (the first may refresh lastUsedAt, a write). */
  async function warm(token: string) {
    for (let i = 0; i < 3; i++) expectOk(await server.gql(VIEWER, {}, { token }));
  }

  it("repeated requests read no token row while nothing was written", async () => {
    const { token } = await createUser(server);
    await warm(token);
    const spy = lookups();
    for (let i = 0; i < 3; i++) expectOk(await server.gql(VIEWER, {}, { token }));
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it("a token deleted by another connection to the file (another server, the CLI) fails on the next request", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org);
    await warm(token);
    const other = new Database(server.databasePath);
    try {
      other.prepare("update access_tokens set deleted_at = ? where id = ?").run(Date.now(), row.id);
    } finally {
      other.close();
    }
    expect401(await server.gql(VIEWER, {}, { token }));
  });

  it("a subscription changed by another connection takes effect on the next request", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    await warm(token);
    const other = new Database(server.databasePath);
    try {
      other.prepare("update organizations set tier = 'TEAM' where id = ?").run(org.organization.id);
    } finally {
      other.close();
    }
    expectError(await server.gql(VIEWER, {}, { token }), "FORBIDDEN", /subscription/);
  });

  it("within one long turn of the event loop, a deletion by another connection is seen after a millisecond at most", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org);
    await warm(token);
    const auth = server.app.services.authenticator;
    // one turn (here: a check-phase callback, which defers the per-turn look past the next poll phase)
    const results = await new Promise<boolean[]>((resolve) =>
      setImmediate(() => {
        const before = auth.authenticate(`token ${token}`).ok;
        const other = new Database(server.databasePath);
        other.prepare("update access_tokens set deleted_at = ? where id = ?").run(Date.now(), row.id);
        other.close();
        const started = performance.now();
        while (performance.now() - started < OTHER_CONNECTIONS_LOOK_EVERY_MS + 0.1); // a busy millisecond, same turn
        resolve([before, auth.authenticate(`token ${token}`).ok]);
      }),
    );
    expect(results).toEqual([true, false]);
  });

  it("a write of this server that bypasses the services empties it too", async () => {
    const { token, tokenRow: row } = await createUser(server);
    await warm(token);
    server.app.db.$client.prepare("update access_tokens set deleted_at = ? where id = ?").run(Date.now(), row.id);
    expect401(await server.gql(VIEWER, {}, { token }));
  });
});

describe("lastUsedAt", () => {
  it("is set by the first request, not rewritten within the minute, refreshed after it", async () => {
    const { token, tokenRow: row } = await createUser(server);
    expect(tokenRow(row.id).lastUsedAt).toBeNull();

    expectOk(await server.gql(VIEWER, {}, { token }));
    const first = tokenRow(row.id).lastUsedAt!;
    expect(first).toBeInstanceOf(Date);
    expect(Math.abs(first.getTime() - Date.now())).toBeLessThan(5000);

    const writes = vi.spyOn((server.app.services.authenticator as any).touchLastUsed, "run");
    for (let i = 0; i < 5; i++) expectOk(await server.gql(VIEWER, {}, { token }));
    expect(tokenRow(row.id).lastUsedAt).toEqual(first);
    expect(writes).not.toHaveBeenCalled();

    const twoMinutesAgo = Date.now() - 120_000;
    server.app.db.$client.prepare("update access_tokens set last_used_at = ? where id = ?").run(twoMinutesAgo, row.id);
    expectOk(await server.gql(VIEWER, {}, { token }));
    expect(writes).toHaveBeenCalledTimes(1);
    expect(tokenRow(row.id).lastUsedAt!.getTime()).toBeGreaterThan(twoMinutesAgo + 60_000);
    writes.mockRestore();
  });

  it("shows in the token lists", async () => {
    const { token } = await createUser(server);
    expectOk(await server.gql(VIEWER, {}, { token }));
    const res = await server.gql("{ personalAccessTokens { lastUsedAt } }", {}, { token });
    expectOk(res);
    expect(res.body.data!.personalAccessTokens[0].lastUsedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
