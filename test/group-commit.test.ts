// Group commit (src/db/group-commit.ts, src/http/durable-responses.ts): the write
// transactions of one turn of the event loop share a COMMIT; no response leaves before the
// COMMIT of what it wrote or read, and when that COMMIT fails, they all become errors.
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { enableGroupCommit, writeTransaction } from "../src/db/client.js";
import { expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createStack, type OrgFixture, stackNode, type StackFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());

const SET_TAG = `mutation ($s: StackRef!, $n: String!, $v: String!) { setStackTag(input: { stack: $s, name: $n, value: $v }) { name } }`;
const commitStatement = () => (enableGroupCommit(server.app.db) as unknown as { commitStatement: { run(): unknown } }).commitStatement;

/** Tags of the stack as another connection (another process) sees them: only what is committed. */
function committedTags(stack: StackFixture): string[] {
  const other = new Database(server.databasePath, { readonly: true });
  try {
    return (other.prepare("select name from stack_tags where stack_id = ? and name like 'g%' order by name").all(stack.id) as { name: string }[]).map((r) => r.name);
  } finally {
    other.close();
  }
}

async function setup(): Promise<{ org: OrgFixture; token: string; stack: StackFixture; ref: Record<string, string> }> {
  const org = createOrg(server);
  const { token } = createOrgToken(server, org);
  const stack = createStack(server, org);
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
    const node = stackNode(server, org, stack);
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
    for (const res of [first!, second!, read!]) {
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
    server.app.services.tags.set(org.admin.caller, stackNode(server, org, stack), "g-doomed", "x");
    vi.spyOn(commitStatement(), "run").mockImplementationOnce(() => {
      throw new Error("disk I/O error");
    });
    await server.committed(); // the COMMIT failed meanwhile (the request was awaiting something)
    await expect(commits.settled(since)).rejects.toThrow(/could not be committed/);
    expect(commits.settled(commits.sequence)).toBeNull(); // a request starting now saw none of it
    expect(committedTags(stack)).toEqual([]);
  });
});
