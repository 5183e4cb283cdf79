import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectFieldError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createStack, type StackFixture, startUpdate } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const START = `mutation ($input: StartUpdateInput!) { startUpdate(input: $input) { id version kind status message requestedBy startedAt endedAt } }`;
const APPEND = `mutation ($input: AppendUpdateEventsInput!) { appendUpdateEvents(input: $input) }`;
const COMPLETE = `mutation ($input: CompleteUpdateInput!) {
  completeUpdate(input: $input) { id version status endedAt resourceChanges { create update delete same replace } }
}`;
const CANCEL = `mutation ($id: ID!) { cancelUpdate(updateId: $id) { id status endedAt } }`;
const COMPLETE_STACK_UPDATE = `mutation ($input: CompleteStackUpdateInput!) {
  completeStackUpdate(input: $input) { id version status endedAt resourceChanges { create update delete same replace } }
}`;
const CANCEL_STACK_UPDATE = `mutation ($input: CancelStackUpdateInput!) { cancelStackUpdate(input: $input) { id status endedAt } }`;
const VARIABLES = { first: "Int", after: "String", version: "Int!" };
/** A query of one stack's fields, declaring the variables the selection uses. */
const STACK = (selection: string) => {
  const declared = Object.entries(VARIABLES).filter(([name]) => selection.includes(`$${name}`));
  return `query ($org: String!, $project: String!, $stack: String!${declared.map(([n, t]) => `, $${n}: ${t}`).join("")}) {
    organization(name: $org) { stack(project: $project, name: $stack) { ${selection} } }
  }`;
};
const EVENTS = STACK(`update(version: $version) { events(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { sequence timestamp type payload } } }`);

const ref = (s: StackFixture) => ({ organization: s.organization, project: s.project, stack: s.stack });
const batch = (from: number, n: number, payload: (seq: number) => unknown = (seq) => ({ message: `line ${seq}` })) =>
  Array.from({ length: n }, (_, i) => ({ sequence: from + i, type: "stdoutEvent", payload: payload(from + i) }));

async function start(token: string, stack: StackFixture, kind = "UPDATE", message?: string) {
  const res = await server.gql(START, { input: { stack: ref(stack), kind, message } }, { token });
  expectOk(res);
  return res.body.data!.startUpdate as { id: string; version: number; kind: string; status: string; requestedBy: string };
}
const append = (token: string, updateId: string, events: unknown[]) => server.gql(APPEND, { input: { updateId, events } }, { token });
const complete = (token: string, input: Record<string, unknown>) => server.gql(COMPLETE, { input }, { token });
/** An organization with one stack, and its admin's token. */
async function setup() {
  const org = await createOrg(server);
  return { org, stack: await createStack(server, org), token: org.admin.token };
}
const where = (s: StackFixture, args: Record<string, unknown> = {}) => ({
  org: s.organization,
  project: s.project,
  stack: s.stack,
  ...args,
});
/** The stack as `token` reads it through Organization.stack. */
async function readStack(token: string, stack: StackFixture, selection: string, args: Record<string, unknown> = {}) {
  const res = await server.gql(STACK(selection), where(stack, args), { token });
  expectOk(res);
  return res.body.data!.organization.stack;
}
/** Stack.update(version) as `token` reads it. */
const updateOf = async (token: string, stack: StackFixture, version: number, selection: string) =>
  (await readStack(token, stack, `update(version: $version) ${selection}`, { version })).update;
const storedEvents = async (token: string, stack: StackFixture, version: number) =>
  (await updateOf(token, stack, version, "{ events(first: 1000) { totalCount nodes { sequence timestamp type payload } } }")).events;

describe("startUpdate", () => {
  it("numbers updates 1, 2, 3 … per stack, previews included", async () => {
    const org = await createOrg(server);
    const a = await createStack(server, org);
    const b = await createStack(server, org);
    const token = org.admin.token;
    const first = await start(token, a, "UPDATE", "deploy");
    expect(first).toMatchObject({ version: 1, kind: "UPDATE", status: "RUNNING", message: "deploy", endedAt: null });
    expect((await start(token, a, "PREVIEW")).version).toBe(2);
    expectOk(await complete(token, { updateId: first.id, status: "SUCCEEDED" }));
    expect((await start(token, a, "REFRESH")).version).toBe(3);
    expect((await start(token, a, "PREVIEW")).version).toBe(4);
    expect((await start(token, b, "UPDATE")).version).toBe(1);
  });

  it("runs one non-preview update at a time (CONFLICT); previews overlap it and each other", async () => {
    const { stack, token } = await setup();
    const running = await start(token, stack);
    for (const kind of ["UPDATE", "DESTROY", "REFRESH", "IMPORT"]) {
      expectError(await server.gql(START, { input: { stack: ref(stack), kind } }, { token }), "CONFLICT");
    }
    const p1 = await start(token, stack, "PREVIEW");
    const p2 = await start(token, stack, "PREVIEW");
    expect([p1.status, p2.status]).toEqual(["RUNNING", "RUNNING"]);
    expectOk(await complete(token, { updateId: running.id, status: "SUCCEEDED" }));
    expect((await start(token, stack)).version).toBe(4);
  });

  it("needs READ for a PREVIEW and WRITE for any other kind (audited refusal)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const stack = await createStack(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const preview = await start(member.token, stack, "PREVIEW");
    expect(preview).toMatchObject({ version: 1, kind: "PREVIEW", requestedBy: member.user.login });
    expectError(await server.gql(START, { input: { stack: ref(stack), kind: "UPDATE" } }, { token: member.token }), "FORBIDDEN");
    // a member runs their preview through, but cannot touch someone else's update
    expect((await append(member.token, preview.id, batch(0, 2))).body.data!.appendUpdateEvents).toBe(2);
    expectOk(await complete(member.token, { updateId: preview.id, status: "SUCCEEDED" }));
    const update = await startUpdate(server, org, stack, "UPDATE");
    expectError(await server.gql(CANCEL, { id: update.id }, { token: member.token }), "FORBIDDEN");
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => [e.event, e.userLogin, e.authFailure])).toEqual([
      ["stack-update-started", member.user.login, false],
      ["auth-failure-stack-permission", member.user.login, true],
      ["stack-update-completed", member.user.login, false],
      ["stack-update-started", org.admin.user.login, false],
      ["auth-failure-stack-permission", member.user.login, true],
    ]);
  });

  it("records the user's login or the org token's name as requestedBy, with one stack-update-started each", async () => {
    const org = await createOrg(server);
    const ci = await createOrgToken(server, org, { name: "ci.runner" });
    const stack = await createStack(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    expect((await start(org.admin.token, stack, "PREVIEW")).requestedBy).toBe(org.admin.user.login);
    expect((await start(ci.token, stack, "UPDATE")).requestedBy).toBe("ci.runner");
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => [e.event, e.userLogin, e.tokenName, e.tokenId])).toEqual([
      ["stack-update-started", org.admin.user.login, null, null],
      ["stack-update-started", null, "ci.runner", ci.row.id],
    ]);
  });

  it("refuses a message over 1,000 characters and starts nothing", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = { stack: ref(stack), kind: "UPDATE", message: "x".repeat(1001) };
    expectError(await server.gql(START, { input }, { token: org.admin.token }), "BAD_USER_INPUT");
    expect((await auditEventsOf(server, org.organization.id)).length).toBe(before);
    expect((await start(org.admin.token, stack, "UPDATE", "x".repeat(1000))).version).toBe(1);
  });
});

describe("appendUpdateEvents", () => {
  it("is idempotent by sequence: re-sent events count 0 and change nothing", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expect((await append(token, update.id, batch(0, 10))).body.data!.appendUpdateEvents).toBe(10);
    expect((await append(token, update.id, batch(0, 10))).body).toEqual({ data: { appendUpdateEvents: 0 } });
    expect((await append(token, update.id, batch(5, 10))).body.data!.appendUpdateEvents).toBe(5);
    const stored = await storedEvents(token, stack, update.version);
    expect(stored.totalCount).toBe(15);
    expect(stored.nodes.map((e: any) => e.sequence)).toEqual([...Array(15).keys()]);
    expect(stored.nodes[3].payload).toEqual({ message: "line 3" });
    // a timestamp the client sends is kept; without one, the server's time is stored
    const at = "2026-01-02T03:04:05.678Z";
    expectOk(await append(token, update.id, [{ sequence: 15, timestamp: at, type: "diagnosticEvent", payload: { severity: "info" } }]));
    const last = (await storedEvents(token, stack, update.version)).nodes[15];
    expect(last).toEqual({ sequence: 15, timestamp: at, type: "diagnosticEvent", payload: { severity: "info" } });
    expect(stored.nodes[0].timestamp).toMatch(/^\d{4}-.*Z$/);
  });

  it("stores new events only while the update runs (CONFLICT after); a resend of stored ones still counts 0", async () => {
    const { stack, token } = await setup();
    const done = await start(token, stack);
    expectOk(await append(token, done.id, batch(0, 3)));
    expectOk(await complete(token, { updateId: done.id, status: "SUCCEEDED" }));
    expectError(await append(token, done.id, batch(3, 1)), "CONFLICT", /update 1 already ended \(SUCCEEDED\)/);
    // the last batch retried after the update ended (its response was lost): nothing to do
    expect((await append(token, done.id, batch(0, 3))).body).toEqual({ data: { appendUpdateEvents: 0 } });
    // … but not when it carries a new event too
    expectError(await append(token, done.id, batch(2, 2)), "CONFLICT", /already ended/);
    const cancelled = await start(token, stack);
    expectOk(await server.gql(CANCEL, { id: cancelled.id }, { token }));
    expectError(await append(token, cancelled.id, batch(0, 1)), "CONFLICT", /already ended \(CANCELLED\)/);
    expect((await storedEvents(token, stack, done.version)).totalCount).toBe(3);
    expect((await storedEvents(token, stack, cancelled.version)).totalCount).toBe(0);
  });

  it("refuses a resent sequence with another payload or type (CONFLICT naming it), storing nothing of the batch", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expectOk(await append(token, update.id, batch(0, 5)));
    // the same values with the keys in another order are the same payload
    const reordered = [
      { sequence: 1, type: "stdoutEvent", payload: { message: "line 1" } },
      { sequence: 9, type: "stdoutEvent", payload: { b: 1, a: 2 } },
    ];
    expect((await append(token, update.id, reordered)).body).toEqual({ data: { appendUpdateEvents: 1 } });
    expect((await append(token, update.id, [{ sequence: 9, type: "stdoutEvent", payload: { a: 2, b: 1 } }])).body).toEqual({
      data: { appendUpdateEvents: 0 },
    });
    const changedPayload = [...batch(5, 2), ...batch(0, 4, (seq) => ({ message: seq === 3 ? "changed" : `line ${seq}` }))];
    expectFieldError(
      await append(token, update.id, changedPayload),
      "CONFLICT",
      "input.events[5].payload",
      /event sequence 3 is already stored with another payload/,
    );
    const changedType = [{ sequence: 2, type: "diagnosticEvent", payload: { message: "line 2" } }];
    expectFieldError(
      await append(token, update.id, changedType),
      "CONFLICT",
      "input.events[0].type",
      /sequence 2 .*"stdoutEvent", not "diagnosticEvent"/,
    );
    const stored = await storedEvents(token, stack, update.version);
    expect(stored.nodes.map((e: any) => e.sequence)).toEqual([0, 1, 2, 3, 4, 9]);
    expect(stored.nodes[3]).toMatchObject({ type: "stdoutEvent", payload: { message: "line 3" } });
  });

  it("refuses a batch that holds one sequence twice (BAD_USER_INPUT about the second), storing nothing of it", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    const twice = [...batch(0, 3), { sequence: 1, type: "stdoutEvent", payload: { message: "line 1" } }];
    expectFieldError(
      await append(token, update.id, twice),
      "BAD_USER_INPUT",
      "input.events[3].sequence",
      /events\[1\] and events\[3\] both have sequence 1/,
    );
    expect((await storedEvents(token, stack, update.version)).totalCount).toBe(0);
  });

  it("refuses a batch over 1,000 events and any invalid event, storing nothing of the batch", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expectError(await append(token, update.id, batch(0, 1001)), "BAD_USER_INPUT", /1000/);
    const good = batch(0, 5);
    for (const bad of [
      { sequence: -1, type: "stdoutEvent", payload: {} },
      { sequence: 5, type: "", payload: {} },
      { sequence: 5, type: "has space", payload: {} },
      { sequence: 5, type: "stdoutEvent", payload: null },
    ]) {
      expectError(await append(token, update.id, [...good, bad]), "BAD_USER_INPUT");
    }
    expect((await storedEvents(token, stack, update.version)).totalCount).toBe(0);
    expect((await append(token, update.id, batch(0, 1000))).body.data!.appendUpdateEvents).toBe(1000);
  });

  it("treats another organization's update and an unknown id as NOT_FOUND", async () => {
    const org = await createOrg(server);
    const other = await createOrg(server);
    const foreignStack = await createStack(server, other);
    const foreign = await startUpdate(server, other, foreignStack);
    const { token: orgToken } = await createOrgToken(server, org);
    for (const token of [org.admin.token, orgToken]) {
      expectError(await append(token, foreign.id, batch(0, 1)), "NOT_FOUND");
      expectError(await append(token, "00000000-0000-4000-8000-000000000000", batch(0, 1)), "NOT_FOUND");
      expectError(await append(token, "junk", batch(0, 1)), "NOT_FOUND");
      expectError(await complete(token, { updateId: foreign.id, status: "SUCCEEDED" }), "NOT_FOUND");
      expectError(await server.gql(CANCEL, { id: foreign.id }, { token }), "NOT_FOUND");
    }
    expect((await storedEvents(other.admin.token, foreignStack, foreign.version)).totalCount).toBe(0);
    expect((await auditEventsOf(server, other.organization.id)).filter((e) => e.authFailure)).toHaveLength(0);
  });
});

describe("completeUpdate and cancelUpdate", () => {
  it("end an update as SUCCEEDED, FAILED or CANCELLED with one audit event each", async () => {
    const { org, stack, token } = await setup();
    const before = (await auditEventsOf(server, org.organization.id)).length;
    for (const status of ["SUCCEEDED", "FAILED", "CANCELLED"]) {
      const update = await start(token, stack);
      const ended = (await complete(token, { updateId: update.id, status })).body.data!.completeUpdate;
      expect(ended).toMatchObject({ id: update.id, status, resourceChanges: null, endedAt: expect.stringMatching(/^\d{4}-/) });
    }
    const cancelled = await start(token, stack);
    const res = await server.gql(CANCEL, { id: cancelled.id }, { token });
    expect(res.body.data!.cancelUpdate).toMatchObject({ id: cancelled.id, status: "CANCELLED" });
    const ends = ["stack-update-completed", "stack-update-completed", "stack-update-canceled", "stack-update-canceled"];
    expect((await auditEventsOf(server, org.organization.id)).slice(before).map((e) => e.event)).toEqual(
      ends.flatMap((e) => ["stack-update-started", e]),
    );
    // the stack is free again
    expect((await start(token, stack)).version).toBe(5);
  });

  it("refuses RUNNING as a status (BAD_USER_INPUT about input.status)", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expectFieldError(await complete(token, { updateId: update.id, status: "RUNNING" }), "BAD_USER_INPUT", "input.status");
    expect(await updateOf(token, stack, 1, "{ status }")).toEqual({ status: "RUNNING" });
  });

  it("answer a retry with the same outcome with the update as it is; another outcome is CONFLICT", async () => {
    const { org, stack, token } = await setup();
    const update = await start(token, stack);
    const changes = { create: 1, update: 0, delete: 0, same: 2, replace: 0 };
    const first = await complete(token, { updateId: update.id, status: "FAILED", resourceChanges: changes });
    expectOk(first);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    // the same call again, as after a lost response: the same answer, nothing written
    const again = await complete(token, { updateId: update.id, status: "FAILED", resourceChanges: changes });
    expect(again.body).toEqual(first.body);
    expect((await complete(token, { updateId: update.id, status: "FAILED" })).body).toEqual(first.body);
    const viaNew = await server.gql(COMPLETE_STACK_UPDATE, { input: { updateId: update.id, outcome: "FAILED" } }, { token });
    expect(viaNew.body.data!.completeStackUpdate).toEqual(first.body.data!.completeUpdate);
    expect(await auditEventsOf(server, org.organization.id)).toHaveLength(before);
    for (const status of ["SUCCEEDED", "CANCELLED"]) {
      expectError(await complete(token, { updateId: update.id, status }), "CONFLICT", /update 1 already ended as FAILED: it cannot end as/);
    }
    expectError(
      await complete(token, { updateId: update.id, status: "FAILED", resourceChanges: { create: 3 } }),
      "CONFLICT",
      /resourceChanges/,
    );
    expectError(await server.gql(CANCEL, { id: update.id }, { token }), "CONFLICT", /already ended as FAILED/);
    expectError(await server.gql(CANCEL_STACK_UPDATE, { input: { updateId: update.id } }, { token }), "CONFLICT");
    expect(await updateOf(token, stack, 1, "{ status }")).toEqual({ status: "FAILED" });
    expect(await auditEventsOf(server, org.organization.id)).toHaveLength(before);
  });

  it("answer a repeated cancel with the cancelled update, and a completion as CANCELLED too", async () => {
    const { org, stack, token } = await setup();
    const update = await start(token, stack);
    const first = await server.gql(CANCEL_STACK_UPDATE, { input: { updateId: update.id } }, { token });
    expectOk(first);
    expect(first.body.data!.cancelStackUpdate).toMatchObject({ id: update.id, status: "CANCELLED" });
    const before = (await auditEventsOf(server, org.organization.id)).length;
    expect((await server.gql(CANCEL_STACK_UPDATE, { input: { updateId: update.id } }, { token })).body).toEqual(first.body);
    expect((await server.gql(CANCEL, { id: update.id }, { token })).body.data!.cancelUpdate).toEqual(first.body.data!.cancelStackUpdate);
    expect((await complete(token, { updateId: update.id, status: "CANCELLED" })).body.data!.completeUpdate).toMatchObject({
      status: "CANCELLED",
    });
    expectError(await complete(token, { updateId: update.id, status: "SUCCEEDED" }), "CONFLICT");
    expect(await auditEventsOf(server, org.organization.id)).toHaveLength(before);
  });

  it("completeStackUpdate takes an outcome that cannot be RUNNING, with the same effects as completeUpdate", async () => {
    const { org, stack, token } = await setup();
    const update = await start(token, stack);
    const state = { deployment: { resources: [{ urn: "a" }, { urn: "b" }] } };
    const running = await server.gql(COMPLETE_STACK_UPDATE, { input: { updateId: update.id, outcome: "RUNNING" } }, { token });
    expectError(running, "BAD_USER_INPUT", /RUNNING/);
    const res = await server.gql(
      COMPLETE_STACK_UPDATE,
      { input: { updateId: update.id, outcome: "SUCCEEDED", resourceChanges: { create: 2 }, state } },
      { token },
    );
    expectOk(res);
    expect(res.body.data!.completeStackUpdate).toMatchObject({ status: "SUCCEEDED", resourceChanges: { create: 2, update: 0 } });
    expect(await readStack(token, stack, "resourceCount")).toEqual({ resourceCount: 2 });
    expect((await auditEventsOf(server, org.organization.id)).at(-1)!.event).toBe("stack-update-completed");
  });

  it("stores resourceChanges (missing counts are 0) and refuses negative ones", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expectError(await complete(token, { updateId: update.id, status: "SUCCEEDED", resourceChanges: { create: -1 } }), "BAD_USER_INPUT");
    const res = await complete(token, { updateId: update.id, status: "SUCCEEDED", resourceChanges: { create: 2, same: 5 } });
    const changes = { create: 2, update: 0, delete: 0, same: 5, replace: 0 };
    expect(res.body.data!.completeUpdate.resourceChanges).toEqual(changes);
    expect(await updateOf(token, stack, 1, "{ resourceChanges { create update delete same replace } }")).toEqual({
      resourceChanges: changes,
    });
  });

  it("makes a succeeded non-preview update's state the checkpoint; previews and failures leave it", async () => {
    const { stack, token } = await setup();
    const SELECT = "state resourceCount lastUpdatedAt";
    const stateOf = (n: number) => ({ version: 3, deployment: { resources: Array.from({ length: n }, (_, i) => ({ urn: `urn:r${i}` })) } });
    const preview = await start(token, stack, "PREVIEW");
    expectOk(await complete(token, { updateId: preview.id, status: "SUCCEEDED", state: stateOf(1) }));
    expect(await readStack(token, stack, SELECT)).toEqual({ state: null, resourceCount: 0, lastUpdatedAt: null });
    const update = await start(token, stack);
    const done = await complete(token, { updateId: update.id, status: "SUCCEEDED", state: stateOf(3) });
    expectOk(done);
    const endedAt = done.body.data!.completeUpdate.endedAt;
    expect(await readStack(token, stack, SELECT)).toEqual({ state: stateOf(3), resourceCount: 3, lastUpdatedAt: endedAt });
    const failed = await start(token, stack);
    expectOk(await complete(token, { updateId: failed.id, status: "FAILED", state: stateOf(7) }));
    const later = await start(token, stack, "PREVIEW");
    expectOk(await complete(token, { updateId: later.id, status: "SUCCEEDED", state: stateOf(9) }));
    expect(await readStack(token, stack, SELECT)).toMatchObject({ state: stateOf(3), resourceCount: 3 });
    // the { resources } form counts too
    const bare = await start(token, stack);
    expectOk(await complete(token, { updateId: bare.id, status: "SUCCEEDED", state: { resources: [{ urn: "a" }, { urn: "b" }] } }));
    expect((await readStack(token, stack, "resourceCount")).resourceCount).toBe(2);
  });
});

describe("Stack.updates, Stack.previews, Stack.update", () => {
  it("list each kind newest first, with totalCount, and find any update by version", async () => {
    const { org, stack, token } = await setup();
    await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED"); // 1
    await startUpdate(server, org, stack, "PREVIEW", "SUCCEEDED"); // 2
    await startUpdate(server, org, stack, "REFRESH", "FAILED"); // 3
    await startUpdate(server, org, stack, "PREVIEW"); // 4, running
    await startUpdate(server, org, stack, "DESTROY"); // 5, running
    const selection =
      "updates { totalCount nodes { version kind } } previews { totalCount nodes { version status } } update(version: $version) { version kind status }";
    const lists = await readStack(token, stack, selection, { version: 2 });
    expect(lists.updates.totalCount).toBe(3);
    expect(lists.updates.nodes.map((n: any) => [n.version, n.kind])).toEqual([
      [5, "DESTROY"],
      [3, "REFRESH"],
      [1, "UPDATE"],
    ]);
    expect(lists.previews).toEqual({
      totalCount: 2,
      nodes: [
        { version: 4, status: "RUNNING" },
        { version: 2, status: "SUCCEEDED" },
      ],
    });
    expect(lists.update).toEqual({ version: 2, kind: "PREVIEW", status: "SUCCEEDED" });
    expect(await updateOf(token, stack, 5, "{ version kind status }")).toEqual({ version: 5, kind: "DESTROY", status: "RUNNING" });
    for (const version of [0, 6, -1]) expect(await updateOf(token, stack, version, "{ id }")).toBeNull();
  });

  it("page with first/after: nothing skipped or repeated, also when an update starts between pages", async () => {
    const { org, stack, token } = await setup();
    for (let i = 0; i < 7; i++) {
      await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
      await startUpdate(server, org, stack, "PREVIEW", "SUCCEEDED");
    }
    for (const list of ["updates", "previews"] as const) {
      const seen: number[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const selection = `${list}(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { version } }`;
        const conn: any = (await readStack(token, stack, selection, { first: 3, after }))[list];
        seen.push(...conn.nodes.map((n: any) => n.version));
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
        if (pages++ === 0) await startUpdate(server, org, stack, list === "updates" ? "UPDATE" : "PREVIEW", "SUCCEEDED");
      } while (after);
      expect(pages).toBe(3);
      const expected = [...Array(7).keys()].map((i) => (list === "updates" ? 13 - 2 * i : 14 - 2 * i));
      expect(seen).toEqual(expected);
    }
    expect(await readStack(token, stack, "updates { totalCount } previews { totalCount }")).toEqual({
      updates: { totalCount: 8 },
      previews: { totalCount: 8 },
    });
  });

  it("refuse tampered cursors, cursors of another list and page sizes outside 1–100", async () => {
    const { org, stack, token } = await setup();
    for (let i = 0; i < 2; i++) await startUpdate(server, org, stack, "PREVIEW");
    const query = STACK("updates(first: $first, after: $after) { totalCount } previews(first: 1) { pageInfo { endCursor } }");
    const vars = where(stack);
    const cursor: string = (await readStack(token, stack, "previews(first: 1) { pageInfo { endCursor } }")).previews.pageInfo.endCursor;
    const [payload, mac] = cursor.split(".");
    const forged = `${Buffer.from(JSON.stringify([99])).toString("base64url")}.${mac}`;
    for (const after of [cursor, forged, `${payload}.${mac!.slice(1)}x`, "nope"]) {
      expectError(await server.gql(query, { ...vars, after }, { token }), "BAD_USER_INPUT");
    }
    for (const first of [0, 101]) expectError(await server.gql(query, { ...vars, first }, { token }), "BAD_USER_INPUT");
  });
});

describe("StackUpdate.events", () => {
  it("lists events in sequence order in pages of up to 1,000", async () => {
    const { stack, token } = await setup();
    const update = await start(token, stack);
    expect((await append(token, update.id, batch(1000, 500))).body.data!.appendUpdateEvents).toBe(500);
    expect((await append(token, update.id, batch(0, 1000).reverse())).body.data!.appendUpdateEvents).toBe(1000);
    const vars = where(stack, { version: update.version });
    const page = async (first: number | null, after: string | null) => {
      const res = await server.gql(EVENTS, { ...vars, first, after }, { token });
      expectOk(res);
      return res.body.data!.organization.stack.update.events;
    };
    const defaults = await page(null, null);
    expect(defaults.nodes).toHaveLength(100);
    expect(defaults.totalCount).toBe(1500);
    const p1 = await page(1000, null);
    expect(p1.nodes.map((n: any) => n.sequence)).toEqual([...Array(1000).keys()]);
    expect(p1.nodes[7]).toMatchObject({ type: "stdoutEvent", payload: { message: "line 7" } });
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = await page(1000, p1.pageInfo.endCursor);
    expect(p2.nodes.map((n: any) => n.sequence)).toEqual([...Array(500).keys()].map((i) => 1000 + i));
    expect(p2.pageInfo.hasNextPage).toBe(false);

    for (const first of [1001, 0, -1]) expectError(await server.gql(EVENTS, { ...vars, first }, { token }), "BAD_USER_INPUT");
    const [payload, mac] = (p1.pageInfo.endCursor as string).split(".");
    const forged = `${Buffer.from(JSON.stringify([5])).toString("base64url")}.${mac}`;
    for (const after of [forged, `${payload}.${mac!.slice(1)}x`, `${payload}`, "junk"]) {
      expectError(await server.gql(EVENTS, { ...vars, after }, { token }), "BAD_USER_INPUT");
    }
  });
});
