// One CI job, scripted as a pipeline would run it: the organization's admin only sets the
// organization up and issues a token; every call after that is made with the org token.
import type { Variables } from "./support/operations.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsSince, expectError, expectOk, lastAuditId } from "./support/assertions.js";
import { createOrg, createOrgToken, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE_STACK = `mutation ($input: CreateStackInput!) {
  createStack(input: $input) { id fullyQualifiedName viewerPermission resourceCount lastUpdatedAt tags { name value } }
}`;
const START = `mutation ($input: StartUpdateInput!) { startUpdate(input: $input) { id version kind status message requestedBy } }`;
const APPEND = `mutation ($input: AppendUpdateEventsInput!) { appendUpdateEvents(input: $input) }`;
const COMPLETE = `mutation ($input: CompleteUpdateInput!) {
  completeUpdate(input: $input) { id version status endedAt resourceChanges { create update delete same replace } }
}`;
const STATUS = `query ($org: String!, $project: String!, $stack: String!, $version: Int!) {
  organization(name: $org) { stack(project: $project, name: $stack) {
    updates { totalCount nodes { version } }
    previews { totalCount }
    update(version: $version) {
      id version kind status message requestedBy startedAt endedAt resourceChanges { create update delete same replace }
    }
  } }
}`;
const EVENTS = `query ($org: String!, $project: String!, $stack: String!, $version: Int!, $first: Int, $after: String) {
  organization(name: $org) { stack(project: $project, name: $stack) {
    update(version: $version) { events(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { sequence type payload }
    } }
  } }
}`;
const STATE = `query ($org: String!, $project: String!, $stack: String!) {
  organization(name: $org) { stack(project: $project, name: $stack) { state resourceCount lastUpdatedAt } }
}`;
const TAGS = `query ($org: String!, $project: String!, $stack: String!) {
  organization(name: $org) { stack(project: $project, name: $stack) { tags { name value } } }
}`;
const SET_TAG = `mutation ($input: SetStackTagInput!) { setStackTag(input: $input) { name value } }`;
const DELETE_TAG = `mutation ($input: DeleteStackTagInput!) { deleteStackTag(input: $input) }`;
const DELETE_STACK = `mutation ($input: DeleteStackInput!) { deleteStack(input: $input) }`;

/** What `pulumi stack export` would hand over after the deployment. */
const CHECKPOINT = {
  version: 3,
  deployment: {
    manifest: { time: "2026-03-01T10:00:00Z", magic: "m", version: "v3.150.0" },
    resources: [
      { urn: "urn:pulumi:prod::app::pulumi:pulumi:Stack::app-prod", type: "pulumi:pulumi:Stack", custom: false },
      { urn: "urn:pulumi:prod::app::pulumi:providers:aws::default", type: "pulumi:providers:aws", custom: true, id: "p-1" },
      { urn: "urn:pulumi:prod::app::aws:s3/bucket:Bucket::assets", type: "aws:s3/bucket:Bucket", custom: true, id: "assets-1" },
      { urn: "urn:pulumi:prod::app::aws:sqs/queue:Queue::jobs", type: "aws:sqs/queue:Queue", custom: true, id: "jobs-1" },
    ],
  },
};

/** Engine events 100 at a time, as the CLI streams them. */
const engineBatch = (index: number) =>
  Array.from({ length: 100 }, (_, i) => {
    const sequence = index * 100 + i;
    return sequence === 999
      ? { sequence, type: "summaryEvent", payload: { resourceChanges: { create: 3, same: 1 } } }
      : { sequence, type: "stdoutEvent", payload: { message: `step ${sequence}`, color: "never" } };
  });

describe("a CI job with only an organization token", () => {
  it("creates a stack, runs an update with 1,000 events, reads it back, tags and deletes the stack", async () => {
    // ---------------------------------------------------------------- set-up by the org admin
    const org = await createOrg(server);
    const ci = await createOrgToken(server, org, { name: "github-actions" });
    const token = ci.token;
    const since = await lastAuditId(server);
    const gql = (query: string, variables: Variables) => server.gql(query, variables, { token });

    // ---------------------------------------------------------------- create the stack
    const project = "webapp";
    const name = uniqueName("prod");
    const stackRef = { organization: org.name, project, stack: name };
    const where = { org: org.name, project, stack: name };
    const created = await gql(CREATE_STACK, { input: { organization: org.name, project, stack: name } });
    expectOk(created);
    expect(created.body.data!.createStack).toMatchObject({
      fullyQualifiedName: `${org.name}/${project}/${name}`,
      viewerPermission: "WRITE",
      resourceCount: 0,
      lastUpdatedAt: null,
      tags: [{ name: "pulumi:project", value: project }],
    });

    // ---------------------------------------------------------------- pulumi up
    const started = await gql(START, { input: { stack: stackRef, kind: "UPDATE", message: "deploy abc1234 (run 42)" } });
    expectOk(started);
    const update = started.body.data!.startUpdate;
    expect(update).toMatchObject({ version: 1, kind: "UPDATE", status: "RUNNING", requestedBy: "github-actions" });

    for (let i = 0; i < 10; i++) {
      const res = await gql(APPEND, { input: { updateId: update.id, events: engineBatch(i) } });
      expectOk(res);
      expect(res.body.data!.appendUpdateEvents).toBe(100);
    }
    // the runner retries a batch whose response it lost
    const retried = await gql(APPEND, { input: { updateId: update.id, events: engineBatch(4) } });
    expectOk(retried);
    expect(retried.body.data!.appendUpdateEvents).toBe(0);

    const changes = { create: 3, update: 0, delete: 0, same: 1, replace: 0 };
    const completed = await gql(COMPLETE, {
      input: { updateId: update.id, status: "SUCCEEDED", resourceChanges: { create: 3, same: 1 }, state: CHECKPOINT },
    });
    expectOk(completed);
    expect(completed.body.data!.completeUpdate).toMatchObject({ id: update.id, status: "SUCCEEDED", resourceChanges: changes });

    // ---------------------------------------------------------------- get update status
    const status = await gql(STATUS, { ...where, version: update.version });
    expectOk(status);
    const stackView = status.body.data!.organization.stack;
    expect(stackView.updates).toEqual({ totalCount: 1, nodes: [{ version: 1 }] });
    expect(stackView.previews).toEqual({ totalCount: 0 });
    expect(stackView.update).toMatchObject({
      id: update.id,
      kind: "UPDATE",
      status: "SUCCEEDED",
      message: "deploy abc1234 (run 42)",
      requestedBy: "github-actions",
      endedAt: completed.body.data!.completeUpdate.endedAt,
      resourceChanges: changes,
    });

    // ---------------------------------------------------------------- page through the events
    const readAll = async (first: number) => {
      const sequences: number[] = [];
      const sizes: number[] = [];
      let after: string | null = null;
      let last: any;
      do {
        const res = await gql(EVENTS, { ...where, version: update.version, first, after });
        expectOk(res);
        const conn: any = res.body.data!.organization.stack.update.events;
        expect(conn.totalCount).toBe(1000);
        sequences.push(...conn.nodes.map((n: any) => n.sequence));
        sizes.push(conn.nodes.length);
        last = conn.nodes[conn.nodes.length - 1];
        after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);
      return { sequences, sizes, last };
    };
    const everything = [...Array(1000).keys()];
    const big = await readAll(1000);
    expect(big.sizes).toEqual([1000]);
    expect(big.sequences).toEqual(everything);
    expect(big.last).toEqual({ sequence: 999, type: "summaryEvent", payload: { resourceChanges: { create: 3, same: 1 } } });
    const small = await readAll(300);
    expect(small.sizes).toEqual([300, 300, 300, 100]);
    expect(small.sequences).toEqual(everything);

    // ---------------------------------------------------------------- stack state (audited read)
    const state = await gql(STATE, where);
    expectOk(state);
    expect(state.body.data!.organization.stack).toEqual({
      state: CHECKPOINT,
      resourceCount: 4,
      lastUpdatedAt: completed.body.data!.completeUpdate.endedAt,
    });

    // ---------------------------------------------------------------- tag, untag
    const tagged = await gql(SET_TAG, { input: { stack: stackRef, name: "deployed-by", value: "run-42" } });
    expectOk(tagged);
    expect(tagged.body.data!.setStackTag).toEqual({ name: "deployed-by", value: "run-42" });
    expect((await gql(TAGS, where)).body.data!.organization.stack.tags).toEqual([
      { name: "deployed-by", value: "run-42" },
      { name: "pulumi:project", value: project },
    ]);
    const untagged = await gql(DELETE_TAG, { input: { stack: stackRef, name: "deployed-by" } });
    expectOk(untagged);
    expect(untagged.body.data!.deleteStackTag).toBe(true);

    // ---------------------------------------------------------------- tear down
    expectError(await gql(DELETE_STACK, { input: { stack: stackRef } }), "BAD_USER_INPUT", /stack still contains resources/);
    const deleted = await gql(DELETE_STACK, { input: { stack: stackRef, force: true } });
    expectOk(deleted);
    expect(deleted.body.data!.deleteStack).toBe(true);
    const gone = await gql(TAGS, where);
    expectOk(gone);
    expect(gone.body.data!.organization.stack).toBeNull();

    // ---------------------------------------------------------------- the audit trail it left
    const events = await auditEventsSince(server, org.organization.id, since);
    expect(events.map((e) => e.event)).toEqual([
      "stack-created",
      "stack-update-started",
      "stack-update-completed",
      "stack-exported",
      "stack-tag-set",
      "stack-tag-deleted",
      "stack-deleted",
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        tokenId: ci.row.id,
        tokenName: "github-actions",
        userId: null,
        userLogin: null,
        userName: null,
        authFailure: false,
      });
    }
    expect(events.find((e) => e.event === "stack-deleted")!.description).toMatch(/with 4 resources \(forced\)/);
    expect(JSON.stringify(events)).not.toContain(token);
  });
});
