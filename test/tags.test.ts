import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createStack, type StackFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const SET = `mutation ($stack: StackRef!, $name: String!, $value: String!) { setStackTag(input: { stack: $stack, name: $name, value: $value }) { name value } }`;
const DELETE = `mutation ($stack: StackRef!, $name: String!) { deleteStackTag(input: { stack: $stack, name: $name }) }`;
const TAGS = `query ($org: String!, $project: String!, $name: String!) { organization(name: $org) { stack(project: $project, name: $name) { tags { name value } } } }`;
const ref = (s: StackFixture) => ({ organization: s.organization, project: s.project, stack: s.stack });

async function tagsOf(stack: StackFixture, token: string) {
  const res = await server.gql(TAGS, { org: stack.organization, project: stack.project, name: stack.stack }, { token });
  return res.body.data!.organization.stack.tags;
}

describe("stack tags", () => {
  it("are set (created or replaced) and deleted, with one audit event each", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org, { project: "infra" });
    const { token } = await createOrgToken(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    expect((await server.gql(SET, { stack: ref(stack), name: "team:owner", value: "platform" }, { token })).body.data).toEqual({
      setStackTag: { name: "team:owner", value: "platform" },
    });
    expectOk(await server.gql(SET, { stack: ref(stack), name: "team:owner", value: "sre" }, { token }));
    expectOk(await server.gql(SET, { stack: ref(stack), name: "empty", value: "" }, { token }));
    expect(await tagsOf(stack, token)).toEqual([
      { name: "empty", value: "" },
      { name: "pulumi:project", value: "infra" },
      { name: "team:owner", value: "sre" },
    ]);
    expect((await server.gql(DELETE, { stack: ref(stack), name: "team:owner" }, { token })).body.data).toEqual({ deleteStackTag: true });
    expectError(await server.gql(DELETE, { stack: ref(stack), name: "team:owner" }, { token }), "NOT_FOUND");
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => e.event)).toEqual(["stack-tag-set", "stack-tag-set", "stack-tag-set", "stack-tag-deleted"]);
    expect(events.every((e) => e.tokenId !== null && e.userId === null)).toBe(true);
  });

  it("refuses built-in tags, bad names and oversize values, writing nothing", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org, { tags: [{ name: "vcs:repo", value: "acme/app" }] });
    const token = org.admin.token;
    const before = (await auditEventsOf(server, org.organization.id)).length;
    for (const name of [
      "pulumi:project",
      "pulumi:runtime",
      "pulumi:description",
      "pulumi:template",
      "vcs:owner",
      "vcs:repo",
      "vcs:kind",
      "vcs:root",
    ]) {
      expectError(await server.gql(SET, { stack: ref(stack), name, value: "x" }, { token }), "BAD_USER_INPUT", /built-in/);
      expectError(await server.gql(DELETE, { stack: ref(stack), name }, { token }), "BAD_USER_INPUT", /built-in/);
    }
    for (const name of ["", "has space", "x".repeat(41), "slash/no", "ünï"]) {
      expectError(await server.gql(SET, { stack: ref(stack), name, value: "x" }, { token }), "BAD_USER_INPUT");
    }
    expectError(await server.gql(SET, { stack: ref(stack), name: "big", value: "v".repeat(257) }, { token }), "BAD_USER_INPUT");
    expectOk(await server.gql(SET, { stack: ref(stack), name: "x".repeat(40), value: "v".repeat(256) }, { token }));
    expect((await auditEventsOf(server, org.organization.id)).slice(before).map((e) => e.event)).toEqual(["stack-tag-set"]);
    expect(await tagsOf(stack, token)).toContainEqual({ name: "vcs:repo", value: "acme/app" });
  });

  it("on an unknown stack: NOT_FOUND", async () => {
    const org = await createOrg(server);
    const missing = { organization: org.name, project: "p", stack: "none" };
    expectError(await server.gql(SET, { stack: missing, name: "a", value: "b" }, { token: org.admin.token }), "NOT_FOUND");
    expectError(await server.gql(DELETE, { stack: missing, name: "a" }, { token: org.admin.token }), "NOT_FOUND");
  });
});
