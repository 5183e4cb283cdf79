// The effective stack permission (CONTRACT.md §3) as Stack.viewerPermission shows it, and
// how refusals on stacks look: NOT_FOUND when the caller cannot READ, FORBIDDEN (audited)
// when it can READ but lacks the permission.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createStack, createTeam, createUser, grant, type OrgFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const GET = `query ($org: String!, $project: String!, $name: String!) {
  organization(name: $org) { stack(project: $project, name: $name) { viewerPermission } }
}`;
const SET_TAG = `mutation ($stack: StackRef!) { setStackTag(input: { stack: $stack, name: "owner", value: "me" }) { name } }`;

async function permissionOf(org: OrgFixture, stack: { project: string; stack: string }, token: string) {
  const res = await server.gql(GET, { org: org.name, project: stack.project, name: stack.stack }, { token });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.organization?.stack?.viewerPermission ?? null;
}

async function setDefault(org: OrgFixture, permission: string) {
  expectOk(
    await server.gql(
      `mutation ($org: String!, $p: StackPermission!) { updateOrganizationSettings(input: { organization: $org, defaultStackPermission: $p }) { id } }`,
      { org: org.name, p: permission },
      { token: org.admin.token },
    ),
  );
}

describe("effective stack permission", () => {
  it("is the highest of role, default, creator and team grants", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const creator = await addMember(server, org);
    const writer = await addMember(server, org);
    const teamAdmin = await addMember(server, org);
    const billing = await addMember(server, org, "BILLING_MANAGER");
    const billingWithGrant = await addMember(server, org, "BILLING_MANAGER");
    const orgToken = await createOrgToken(server, org);
    const outsider = await createUser(server);
    const stack = await createStack(server, org, { as: creator.caller });
    await grant(server, org, (await createTeam(server, org, { members: [writer, billingWithGrant] })).name, stack, "WRITE");
    await grant(server, org, (await createTeam(server, org, { members: [teamAdmin] })).name, stack, "ADMIN");
    // a READ grant never lowers a higher permission
    await grant(server, org, (await createTeam(server, org, { members: [writer, teamAdmin] })).name, stack, "READ");

    const table = async () => ({
      admin: await permissionOf(org, stack, org.admin.token),
      member: await permissionOf(org, stack, member.token),
      creator: await permissionOf(org, stack, creator.token),
      writer: await permissionOf(org, stack, writer.token),
      teamAdmin: await permissionOf(org, stack, teamAdmin.token),
      billing: await permissionOf(org, stack, billing.token),
      billingWithGrant: await permissionOf(org, stack, billingWithGrant.token),
      orgToken: await permissionOf(org, stack, orgToken.token),
      outsider: await permissionOf(org, stack, outsider.token),
    });
    expect(await table()).toEqual({
      admin: "ADMIN",
      member: "READ",
      creator: "ADMIN",
      writer: "WRITE",
      teamAdmin: "ADMIN",
      billing: null,
      billingWithGrant: "WRITE",
      orgToken: "WRITE",
      outsider: null,
    });
    await setDefault(org, "WRITE");
    expect(await table()).toMatchObject({ member: "WRITE", billing: null, orgToken: "WRITE", writer: "WRITE" });
    await setDefault(org, "NONE");
    expect(await table()).toMatchObject({ member: null, creator: "ADMIN", writer: "WRITE", billing: null, admin: "ADMIN" });
  });

  it("a creator who left the organization has nothing", async () => {
    const org = await createOrg(server);
    const creator = await addMember(server, org);
    const stack = await createStack(server, org, { as: creator.caller });
    expect(await permissionOf(org, stack, creator.token)).toBe("ADMIN");
    await server.app.services.members.remove(org.admin.caller, org.organization, { organization: org.name, login: creator.user.login });
    const res = await server.gql(GET, { org: org.name, project: stack.project, name: stack.stack }, { token: creator.token });
    expect(res.body.data).toEqual({ organization: null });
  });

  it("an organization token lists every stack of its organization, whatever the default permission", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const token = await createOrgToken(server, org);
    const names = [
      (await createStack(server, org)).stack,
      (await createStack(server, org, { as: member.caller, project: "other" })).stack,
      (await createStack(server, org)).stack,
    ];
    await createStack(server, await createOrg(server)); // another organization's stack is not listed
    const LIST = `query ($org: String!, $after: String) {
      organization(name: $org) { stacks(first: 2, after: $after) { nodes { name viewerPermission } pageInfo { hasNextPage endCursor } totalCount } }
    }`;
    for (const permission of ["NONE", "READ", "WRITE"]) {
      await setDefault(org, permission);
      const first = await server.gql(LIST, { org: org.name }, { token: token.token });
      expect(first.body.errors).toBeUndefined();
      const page1 = first.body.data!.organization.stacks;
      expect(page1).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
      const second = await server.gql(LIST, { org: org.name, after: page1.pageInfo.endCursor }, { token: token.token });
      const page2 = second.body.data!.organization.stacks;
      expect(page2).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false } });
      expect([...page1.nodes, ...page2.nodes]).toEqual(names.map((name) => ({ name, viewerPermission: "WRITE" })));
    }
  });
});

describe("refusals on stacks", () => {
  it("READ but not WRITE: FORBIDDEN and one auth-failure-stack-permission event naming the stack", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const stack = await createStack(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const res = await server.gql(
      SET_TAG,
      { stack: { organization: org.name, project: stack.project, stack: stack.stack } },
      { token: member.token },
    );
    expectError(res, "FORBIDDEN", /requires WRITE permission/);
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: "auth-failure-stack-permission",
      authFailure: true,
      requireStackAdmin: false,
      userLogin: member.user.login,
    });
    expect(events[0]!.description).toContain(`${org.name}/${stack.project}/${stack.stack}`);
  });

  it("cannot READ: NOT_FOUND, and no event (the stack does not exist for the caller)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const stack = await createStack(server, org);
    await setDefault(org, "NONE");
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const res = await server.gql(
      SET_TAG,
      { stack: { organization: org.name, project: stack.project, stack: stack.stack } },
      { token: member.token },
    );
    expectError(res, "NOT_FOUND");
    const absent = await server.gql(
      SET_TAG,
      { stack: { organization: org.name, project: "nope", stack: "nope" } },
      { token: member.token },
    );
    expectError(absent, "NOT_FOUND");
    expect(res.body.errors![0]!.message.replace(stack.project, "P").replace(stack.stack, "S")).toBe(
      absent.body.errors![0]!.message.replace("nope", "P").replace("nope", "S"),
    );
    expect((await auditEventsOf(server, org.organization.id)).slice(before)).toEqual([]);
  });

  it("outside the organization: FORBIDDEN, whether or not the stack exists, and no event", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const outsider = await createUser(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    for (const s of [stack.stack, "missing"]) {
      expectError(
        await server.gql(SET_TAG, { stack: { organization: org.name, project: stack.project, stack: s } }, { token: outsider.token }),
        "FORBIDDEN",
      );
    }
    expect((await auditEventsOf(server, org.organization.id)).slice(before)).toEqual([]);
  });
});
