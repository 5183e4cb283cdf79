// Group commit (src/db/group-commit.ts, src/http/durable-responses.ts): the write
// transactions of one turn of the event loop share a COMMIT; no response leaves before the
// COMMIT of what it wrote or read, and when that COMMIT fails, they all become errors.
import { rmSync } from "node:fs";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { enableGroupCommit, writeTransaction } from "../src/db/client.js";
import { CommitFailedError } from "../src/db/group-commit.js";
import { expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createStack, type OrgFixture, setTier, stackNode, type StackFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());

const SET_TAG = `mutation ($s: StackRef!, $n: String!, $v: String!) { setStackTag(input: { stack: $s, name: $n, value: $v }) { name } }`;
const internals = () =>
  enableGroupCommit(server.app.db) as unknown as { commitStatement: { run(): unknown }; rollbackStatement: { run(): unknown } };
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

describe("group commit", () => {
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
    const { tags } = server.app.services;
    tags.set(org.admin.caller, node, "g-kept-1", "x");
    expect(() =>
      writeTransaction(server.app.db, () => {
        tags.set(org.admin.caller, node, "g-lost", "x");
        throw new Error("changed my mind");
      }),
    ).toThrow("changed my mind");
    tags.set(org.admin.caller, node, "g-kept-2", "x");
    await server.committed();
    expect(committedTags(stack)).toEqual(["g-kept-1", "g-kept-2"]);
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
    const commits = enableGroupCommit(server.app.db);
    const since = commits.sequence; // a request starts, then reads or writes in this group
    await server.app.services.tags.set(org.admin.caller, await stackNode(server, org, stack), "g-doomed", "x");
    vi.spyOn(commitStatement(), "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    await server.committed(); // the COMMIT failed meanwhile (the request was awaiting something)
    (await expect(commits.settled(since))).rejects.toThrow(/could not be committed/);
    expect(commits.settled(commits.sequence)).toBeNull(); // a request starting now saw none of it
    expect(committedTags(stack)).toEqual([]);
  });

  it("what a request read from a group that was rolled back is not kept: the token cache forgets it", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const auth = server.app.services.authenticator;
    expect(auth.authenticate(`token ${token}`).ok).toBe(true); // lastUsedAt written: no more writes for a minute
    await setTier(server, org.name, "TEAM"); // organization tokens disabled from now on
    await server.committed();
    expect(auth.authenticate(`token ${token}`).ok).toBe(false);
    // one turn: an upgrade written in the open group, a request authenticates meanwhile
    failNextCommit();
    await setTier(server, org.name, "BUSINESS_CRITICAL");
    expect(auth.authenticate(`token ${token}`).ok).toBe(true); // it saw the uncommitted upgrade
    await server.committed(); // the COMMIT failed: the upgrade is gone
    expect(auth.authenticate(`token ${token}`).ok).toBe(false);
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
    expect(server.app.db.$client.inTransaction).toBe(true); // the orphan: nothing would ever commit it
    // a write outside any step (as lastUsedAt is) joins it, and a request that sees it is refused
    const joined = server.gql("{ viewer { kind } }", {}, { token });
    expect((await joined).status).toBe(500);
    expect(server.app.db.$client.inTransaction).toBe(false);
    expectOk(await server.gql(SET_TAG, { s: ref, n: "g-b", v: "x" }, { token }));
    expect(committedTags(stack)).toEqual(["g-b"]);
  });

  it("a failed COMMIT answers a streamed export with a plain 500, without the file's headers", async () => {
    const org = await createOrg(server);
    await server.committed();
    // its audit-log-exported event is a single autocommitted INSERT here, so the failure is
    // made at the seam: the group this request saw could not be committed
    vi.spyOn(enableGroupCommit(server.app.db), "settled").mockReturnValueOnce(Promise.reject(new CommitFailedError(null)));
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

describe("group commit at shutdown", () => {
  it("logs a COMMIT that fails while the server closes (nobody else would know)", async () => {
    const own = await startTestServer();
    const org = await createOrg(own);
    const ownCommits = enableGroupCommit(own.app.db) as unknown as { commitStatement: { run(): unknown } };
    vi.spyOn(ownCommits.commitStatement, "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    // the group opened by createOrg is still open: close() flushes it
    expect(own.app.db.$client.inTransaction).toBe(true);
    await own.close({ keepDir: true });
    expect(own.logs.some((line) => line.includes("could not be committed at shutdown"))).toBe(true);
    const reopened = new Database(own.databasePath, { readonly: true });
    expect(reopened.prepare("select count(*) from organizations where name = ?").pluck().get(org.name)).toBe(0);
    reopened.close();
    rmSync(own.dir, { recursive: true, force: true });
  });
});
