// Group commit (src/db/sqlite/group-commit.ts, src/http/durable-responses.ts), SQLite only: the
// write transactions of one turn of the event loop share a COMMIT, each a SAVEPOINT step of the
// open group; no response leaves before the COMMIT of what it wrote or read, and when that
// COMMIT fails, they all become errors.
// And the store's asynchronous transactions on both backends: concurrent ones lose no write,
// and a statement on store.db inside one is refused.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CommitFailedError, type GroupCommit } from "../src/db/sqlite/group-commit.js";
import { SqliteStore } from "../src/db/sqlite/store.js";
import { StatementOutsideTransactionError, type Store } from "../src/db/store.js";
import { expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createStack, type OrgFixture, setTier, stackNode, type StackFixture } from "./support/factories.js";
import { startTestServer, testBackend, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());

const SET_TAG = `mutation ($s: StackRef!, $n: String!, $v: String!) { setStackTag(input: { stack: $s, name: $n, value: $v }) { name } }`;
type GroupCommitInternals = { commitStatement: { run(): unknown }; rollbackStatement: { run(): unknown } };
/** The SQLite store of a test server (SQLite backend only). */
const sqliteStoreOf = (s: TestServer) => {
  if (!(s.app.store instanceof SqliteStore)) throw new Error("not an SQLite store");
  return s.app.store;
};
/** The server's group commit (the server opens its SQLite store with `groupCommit: true`). */
const groupCommitOf = (s: TestServer): GroupCommit => {
  const groups = sqliteStoreOf(s).pendingCommits;
  if (groups === null) throw new Error("the server's store has no group commit");
  return groups;
};
const internals = () => groupCommitOf(server) as unknown as GroupCommitInternals;
const commitStatement = () => internals().commitStatement;
const failNextCommit = () =>
  vi.spyOn(commitStatement(), "run").mockImplementationOnce(() => {
    throw new Error("disk I/O error");
  });

/** Tags of the stack as another connection (another process) sees them: only what is committed. */
function committedTags(stack: StackFixture): string[] {
  const other = new Database(server.databasePath, { readonly: true });
  try {
    return (
      other.prepare("select name from stack_tags where stack_id = ? and name like 'g%' order by name").all(stack.id) as { name: string }[]
    ).map((r) => r.name);
  } finally {
    other.close();
  }
}

async function setup(): Promise<{ org: OrgFixture; token: string; stack: StackFixture; ref: Record<string, string> }> {
  const org = await createOrg(server);
  const { token } = await createOrgToken(server, org);
  const stack = await createStack(server, org);
  await server.committed();
  return { org, token, stack, ref: { organization: org.name, project: stack.project, stack: stack.stack } };
}

// SQLite only: group commit is SQLite's (PostgreSQL commits each transaction before it returns)
describe.skipIf(testBackend() !== "sqlite")("group commit", () => {
  it("concurrent mutations share COMMITs; each is on disk for other connections once it is answered", async () => {
    const { token, stack, ref } = await setup();
    const commits = vi.spyOn(commitStatement(), "run");
    const names = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, "0")}`);
    const results = await Promise.all(names.map((n) => server.gql(SET_TAG, { s: ref, n, v: "x" }, { token })));
    for (const res of results) expectOk(res);
    expect(commits.mock.calls.length).toBeGreaterThan(0);
    expect(commits.mock.calls.length).toBeLessThan(names.length);
    expect(committedTags(stack)).toEqual(names);
  });

  it("a step that throws is rolled back alone (a SAVEPOINT); the rest of its group commits", async () => {
    const { org, stack } = await setup();
    const node = await stackNode(server, org, stack);
    await server.committed();
    const { tags } = server.app.services;
    const store = server.app.store;
    const commits = vi.spyOn(commitStatement(), "run");
    // three transactions asked for in one turn: three steps of one group
    const [kept1, lost, kept2] = await Promise.allSettled([
      tags.set(org.admin.caller, node, "g-kept-1", "x"),
      store.transaction(async (tx) => {
        await tx.insert(store.tables.stackTagsTable).values({ stackId: stack.id, name: "g-lost", value: "x" });
        expect(await tx.select().from(store.tables.stackTagsTable).where(eq(store.tables.stackTagsTable.name, "g-lost"))).toHaveLength(1);
        throw new Error("changed my mind");
      }),
      tags.set(org.admin.caller, node, "g-kept-2", "x"),
    ]);
    expect([kept1.status, kept2.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(lost.status === "rejected" && (lost.reason as Error).message).toBe("changed my mind");
    await server.committed();
    expect(commits).toHaveBeenCalledTimes(1);
    expect(committedTags(stack)).toEqual(["g-kept-1", "g-kept-2"]);
  });

  it("the COMMIT of a group waits for the step that is running; the next step starts a new group", async () => {
    const { org, stack } = await setup();
    const store = server.app.store;
    const tag = store.tables.stackTagsTable;
    const groups = groupCommitOf(server);
    const commits = vi.spyOn(commitStatement(), "run");
    const first = groups.sequence;
    // a step that spans several turns of the event loop (the group's COMMIT is due after the first)
    await store.transaction(async (tx) => {
      await tx.insert(tag).values({ stackId: stack.id, name: "g-slow-1", value: "x" });
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(commits).not.toHaveBeenCalled(); // a COMMIT now would commit half of this step
      await tx.insert(tag).values({ stackId: stack.id, name: "g-slow-2", value: "x" });
    });
    expect(commits).toHaveBeenCalledTimes(1); // at the end of the step
    expect(committedTags(stack)).toEqual(["g-slow-1", "g-slow-2"]);
    expect(groups.settled(first)).toBeNull();
    await server.app.services.tags.set(org.admin.caller, await stackNode(server, org, stack), "g-next", "x");
    expect(groups.sequence).toBeGreaterThan(first);
    await server.committed();
    expect(committedTags(stack)).toEqual(["g-next", "g-slow-1", "g-slow-2"]);
  });

  it("when the COMMIT fails, every response that waited on it is a masked 500 and none of its changes is kept", async () => {
    const { token, stack, ref } = await setup();
    vi.spyOn(commitStatement(), "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    const [first, second, read] = await Promise.all([
      server.gql(SET_TAG, { s: ref, n: "g-a", v: "x" }, { token }),
      server.gql(SET_TAG, { s: ref, n: "g-b", v: "x" }, { token }),
      server.gql("{ viewer { kind } }", {}, { token }), // it may have read the uncommitted rows
    ]);
    for (const res of [first, second, read]) {
      expect(res.status).toBe(500);
      expectError(res, "INTERNAL_SERVER_ERROR", /^Internal server error$/);
      expect(res.raw).not.toContain("disk I/O");
    }
    expect(committedTags(stack)).toEqual([]);
    expect(server.logs.some((line) => line.includes("transaction group failed"))).toBe(true);

    // the next group commits as usual
    expectOk(await server.gql(SET_TAG, { s: ref, n: "g-c", v: "x" }, { token }));
    expect(committedTags(stack)).toEqual(["g-c"]);
  });

  it("a request that answers after a failed COMMIT it may have seen is refused too; later ones are not", async () => {
    const { org, stack } = await setup();
    const commits = groupCommitOf(server);
    const since = commits.sequence; // a request starts, then reads or writes in this group
    await server.app.services.tags.set(org.admin.caller, await stackNode(server, org, stack), "g-doomed", "x");
    vi.spyOn(commitStatement(), "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    await server.committed(); // the COMMIT failed meanwhile (the request was awaiting something)
    await expect(commits.settled(since)).rejects.toThrow(/could not be committed/);
    expect(commits.settled(commits.sequence)).toBeNull(); // a request starting now saw none of it
    expect(committedTags(stack)).toEqual([]);
  });

  it("what a request read from a group that was rolled back is not kept: the token cache forgets it", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const auth = server.app.services.authenticator;
    expect((await auth.authenticate(`token ${token}`)).ok).toBe(true); // lastUsedAt written: no more writes for a minute
    await setTier(server, org.name, "TEAM"); // organization tokens disabled from now on
    await server.committed();
    expect((await auth.authenticate(`token ${token}`)).ok).toBe(false);
    // one turn: an upgrade written in the open group, a request authenticates meanwhile
    failNextCommit();
    await setTier(server, org.name, "BUSINESS_CRITICAL");
    expect((await auth.authenticate(`token ${token}`)).ok).toBe(true); // it saw the uncommitted upgrade
    await server.committed(); // the COMMIT failed: the upgrade is gone
    expect((await auth.authenticate(`token ${token}`)).ok).toBe(false);
    const res = await server.gql("{ viewer { kind } }", {}, { token });
    expect(res.status).toBe(403);
  });

  it("a transaction left open by a failed ROLLBACK is ended before the next write or answer; what joined it is refused", async () => {
    const { token, stack, ref } = await setup();
    failNextCommit();
    vi.spyOn(internals().rollbackStatement, "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    const failed = await server.gql(SET_TAG, { s: ref, n: "g-a", v: "x" }, { token });
    expect(failed.status).toBe(500);
    expect(sqliteStoreOf(server).connection.inTransaction).toBe(true); // the orphan: nothing would ever commit it
    // a write outside any step (as lastUsedAt is) joins it, and a request that sees it is refused
    const joined = server.gql("{ viewer { kind } }", {}, { token });
    expect((await joined).status).toBe(500);
    expect(sqliteStoreOf(server).connection.inTransaction).toBe(false);
    expectOk(await server.gql(SET_TAG, { s: ref, n: "g-b", v: "x" }, { token }));
    expect(committedTags(stack)).toEqual(["g-b"]);
  });

  it("a failed COMMIT answers a streamed export with a plain 500, without the file's headers", async () => {
    const org = await createOrg(server);
    await server.committed();
    // its audit-log-exported event is a single autocommitted INSERT here, so the failure is
    // made at the seam: the group this request saw could not be committed
    vi.spyOn(groupCommitOf(server), "settled").mockReturnValueOnce(Promise.reject(new CommitFailedError(null)));
    const res = await server.app.fastify.inject({
      method: "GET",
      url: `/api/orgs/${org.name}/auditlogs/export?format=csv`,
      headers: { authorization: `token ${org.admin.token}` },
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["content-disposition"]).toBeUndefined();
    expect(res.headers["x-audit-event-count"]).toBeUndefined();
    expect(res.headers["x-request-id"]).toBeTruthy();
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
  });
});

// SQLite only: group commit
describe.skipIf(testBackend() !== "sqlite")("group commit at shutdown", () => {
  it("logs a COMMIT that fails while the server closes (nobody else would know)", async () => {
    const own = await startTestServer();
    const org = await createOrg(own);
    const ownCommits = groupCommitOf(own) as unknown as GroupCommitInternals;
    vi.spyOn(ownCommits.commitStatement, "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    // the group opened by createOrg is still open: close() flushes it
    expect(sqliteStoreOf(own).connection.inTransaction).toBe(true);
    await own.close({ keepDir: true });
    expect(own.logs.some((line) => line.includes("could not be committed at shutdown"))).toBe(true);
    const reopened = new Database(own.databasePath, { readonly: true });
    expect(reopened.prepare("select count(*) from organizations where name = ?").pluck().get(org.name)).toBe(0);
    reopened.close();
    rmSync(own.dir, { recursive: true, force: true });
  });
});

/** 50 transactions at once, each reading a stack's resourceCount and writing it back plus one: none may be lost. */
async function concurrentIncrements(store: Store, stackId: string, n = 50): Promise<number> {
  const s = store.tables.stacksTable;
  await Promise.all(
    Array.from({ length: n }, () =>
      store.transaction(async (tx) => {
        const [row] = await tx.select({ count: s.resourceCount }).from(s).where(eq(s.id, stackId));
        // a turn of the event loop between the read and the write: others would run here if they could
        await new Promise((resolve) => setImmediate(resolve));
        await tx
          .update(s)
          .set({ resourceCount: row!.count + 1 })
          .where(eq(s.id, stackId));
      }),
    ),
  );
  await new Promise((resolve) => setImmediate(resolve)); // SQLite's group commit
  const [row] = await store.db.select({ count: s.resourceCount }).from(s).where(eq(s.id, stackId));
  return row!.count;
}

/**
 * The error is a StatementOutsideTransactionError, or drizzle's wrapping of it (a DrizzleQueryError
 * "Failed query: …" whose cause it is: drizzle wraps whatever the driver callback throws).
 */
function expectOutsideTransaction(error: unknown): void {
  const chain: unknown[] = [];
  for (let e = error; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  expect(chain.length, String(error)).toBeGreaterThan(0);
  expect(
    chain.some((e) => e instanceof StatementOutsideTransactionError),
    String(error),
  ).toBe(true);
}

describe("store transactions (both backends)", () => {
  it("concurrent read-then-write transactions lose no write", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    expect(await concurrentIncrements(server.app.store, stack.id)).toBe(50);
  });

  it("a statement on store.db inside store.transaction throws StatementOutsideTransactionError, and the transaction rolls back", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const store = server.app.store;
    const s = store.tables.stacksTable;
    const attempt = store.transaction(async (tx) => {
      await tx.update(s).set({ resourceCount: 7 }).where(eq(s.id, stack.id));
      await store.db.select().from(s).where(eq(s.id, stack.id));
    });
    expectOutsideTransaction(await attempt.catch((error: unknown) => error));
    // a write on store.db too, also when it is not awaited at once
    const write = store.transaction(async () => {
      const pending = store.db.update(s).set({ resourceCount: 8 }).where(eq(s.id, stack.id));
      await pending;
    });
    expectOutsideTransaction(await write.catch((error: unknown) => error));
    await new Promise((resolve) => setImmediate(resolve));
    const [row] = await store.db.select({ count: s.resourceCount }).from(s).where(eq(s.id, stack.id));
    expect(row!.count).toBe(0);
    // and the store goes on as usual
    expect(await concurrentIncrements(store, stack.id, 3)).toBe(3);
  });
});

// SQLite only: a store without group commit (the CLI's, the scripts'), each transaction a BEGIN IMMEDIATE … COMMIT
describe.skipIf(testBackend() !== "sqlite")("an SQLite store without group commit", () => {
  it("runs concurrent transactions one at a time too: no write lost, each committed when it returns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-store-"));
    const store = SqliteStore.open(join(dir, "gatehouse.db"), { synchronous: "NORMAL" });
    try {
      expect(store.pendingCommits).toBeNull();
      const { organizationsTable: o, stacksTable: s } = store.tables;
      const now = new Date();
      await store.transaction(async (tx) => {
        await tx.insert(o).values({ id: "org_1", name: "org-1", displayName: "org-1", createdAt: now });
        await tx.insert(s).values({ id: "stk_1", organizationId: "org_1", project: "p", name: "s", createdAt: now });
      });
      expect(store.connection.inTransaction).toBe(false);
      expect(await concurrentIncrements(store, "stk_1")).toBe(50);
      expect(store.connection.inTransaction).toBe(false);
      const read = store.transaction(async () => {
        await store.db.select().from(s);
      });
      expectOutsideTransaction(await read.catch((error: unknown) => error));
      expect(store.connection.inTransaction).toBe(false);
    } finally {
      expect(await store.close()).toBeNull();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(testBackend() !== "sqlite")("reads beside an open transaction (SQLite: one connection)", () => {
  it("a read on store.db while another request's step is open waits for it: it never sees a row the step rolls back", async () => {
    const store = server.app.store;
    const { usersTable } = store.tables;
    const login = `phantom-${Date.now()}`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const step = store.transaction(async (tx) => {
      await tx.insert(usersTable).values({ id: login, login, createdAt: new Date() });
      inserted();
      await gate; // the step stays open, its row uncommitted, while another request reads
      throw new Error("rolled back on purpose");
    });
    await insertedYet;
    // .then() starts the query now (a drizzle query runs when it is awaited)
    const read = store.db
      .select()
      .from(usersTable)
      .where(eq(usersTable.login, login))
      .then((rows) => rows);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(step).rejects.toThrow("rolled back on purpose");
    expect(await read).toEqual([]);
  });
});
