import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createUser, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ADD = `mutation ($input: AddOrganizationMemberInput!) { addOrganizationMember(input: $input) { role joinedAt user { login } } }`;
const REMOVE = `mutation ($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) }`;
const ROLE = `mutation ($input: UpdateOrganizationMemberRoleInput!) { updateOrganizationMemberRole(input: $input) { role user { login } } }`;
const MEMBERS = `query ($org: String!, $first: Int, $after: String) {
  organization(name: $org) { members(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { role user { login email } } } }
}`;

const eventsAfter = async (orgId: string, count: number) => (await auditEventsOf(server, orgId)).slice(count);

describe("addOrganizationMember", () => {
  it("adds a user as MEMBER by default, or with the role given, with one audit event each", async () => {
    const org = await createOrg(server);
    const bob = await createUser(server);
    const carol = await createUser(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const added = await server.gql(ADD, { input: { organization: org.name, login: bob.user.login } }, { token: org.admin.token });
    expectOk(added);
    expect(added.body.data!.addOrganizationMember).toMatchObject({ role: "MEMBER", user: { login: bob.user.login } });
    const billing = await server.gql(
      ADD,
      { input: { organization: org.name, login: carol.user.login.toUpperCase(), role: "BILLING_MANAGER" } },
      { token: org.admin.token },
    );
    expect(billing.body.data!.addOrganizationMember.role).toBe("BILLING_MANAGER");
    const events = await eventsAfter(org.organization.id, before);
    expect(events.map((e) => e.event)).toEqual(["member-added", "member-added"]);
    expect(events[0]).toMatchObject({ requireOrgAdmin: true, userLogin: org.admin.user.login });
  });

  it("refuses a member twice (CONFLICT), an unknown login (NOT_FOUND), a bad role (BAD_USER_INPUT)", async () => {
    const org = await createOrg(server);
    const bob = await addMember(server, org);
    const token = org.admin.token;
    expectError(await server.gql(ADD, { input: { organization: org.name, login: bob.user.login } }, { token }), "CONFLICT");
    expectError(await server.gql(ADD, { input: { organization: org.name, login: uniqueName("ghost") } }, { token }), "NOT_FOUND");
    expectError(
      await server.gql(ADD, { input: { organization: org.name, login: bob.user.login, role: "OWNER" } }, { token }),
      "BAD_USER_INPUT",
    );
  });

  it("is refused to members and org tokens (audited) and to outsiders (not audited)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const { token: orgToken } = await createOrgToken(server, org);
    const outsider = await createUser(server);
    const target = await createUser(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = { organization: org.name, login: target.user.login };
    for (const token of [member.token, orgToken, outsider.token]) {
      expectError(await server.gql(ADD, { input }, { token }), "FORBIDDEN");
    }
    const events = await eventsAfter(org.organization.id, before);
    expect(events.map((e) => [e.event, e.userLogin, e.tokenName !== null])).toEqual([
      ["auth-failure-organization-role", member.user.login, false],
      ["auth-failure-organization-role", null, true],
    ]);
  });
});

describe("removeOrganizationMember", () => {
  it("removes the member and takes them out of the organization's teams", async () => {
    const org = await createOrg(server);
    const bob = await addMember(server, org);
    const { store } = server.app;
    const { teamsTable, teamMembersTable } = store.tables;
    const teamId = uniqueName("team");
    await store.transaction(async (tx) => {
      await tx
        .insert(teamsTable)
        .values({ id: teamId, organizationId: org.organization.id, name: teamId, displayName: teamId, createdAt: new Date() });
      await tx.insert(teamMembersTable).values({ teamId, userId: bob.user.id });
    });
    const before = (await auditEventsOf(server, org.organization.id)).length;

    const res = await server.gql(REMOVE, { input: { organization: org.name, login: bob.user.login } }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.removeOrganizationMember).toBe(true);
    expect(await store.db.select().from(teamMembersTable).where(eq(teamMembersTable.userId, bob.user.id))).toEqual([]);
    expect((await eventsAfter(org.organization.id, before)).map((e) => e.event)).toEqual(["member-removed"]);
    const after = await server.gql("query ($org: String!) { organization(name: $org) { id } }", { org: org.name }, { token: bob.token });
    expect(after.body.data!.organization).toBeNull();
  });

  it("refuses a non-member (NOT_FOUND) and the last admin (CONFLICT: a state conflict, issue 13)", async () => {
    const org = await createOrg(server);
    const stranger = await createUser(server);
    const token = org.admin.token;
    expectError(await server.gql(REMOVE, { input: { organization: org.name, login: stranger.user.login } }, { token }), "NOT_FOUND");
    expectError(
      await server.gql(REMOVE, { input: { organization: org.name, login: org.admin.user.login } }, { token }),
      "CONFLICT",
      /last admin/,
    );
    const second = await addMember(server, org, "ADMIN");
    expectOk(await server.gql(REMOVE, { input: { organization: org.name, login: org.admin.user.login } }, { token: second.token }));
  });
});

describe("updateOrganizationMemberRole", () => {
  it("changes the role with one audit event; the same role changes nothing", async () => {
    const org = await createOrg(server);
    const bob = await addMember(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = { organization: org.name, login: bob.user.login, role: "ADMIN" };
    const res = await server.gql(ROLE, { input }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.updateOrganizationMemberRole).toEqual({ role: "ADMIN", user: { login: bob.user.login } });
    expectOk(await server.gql(ROLE, { input }, { token: org.admin.token }));
    expect((await eventsAfter(org.organization.id, before)).map((e) => e.event)).toEqual(["member-role-changed"]);
  });

  it("never demotes the last admin", async () => {
    const org = await createOrg(server);
    const input = { organization: org.name, login: org.admin.user.login, role: "MEMBER" };
    expectError(await server.gql(ROLE, { input }, { token: org.admin.token }), "CONFLICT", /last admin/);
    await addMember(server, org, "ADMIN");
    expectOk(await server.gql(ROLE, { input }, { token: org.admin.token }));
  });

  it("refuses a non-member, an unknown login and a missing role", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    expectError(
      await server.gql(ROLE, { input: { organization: org.name, login: (await createUser(server)).user.login, role: "ADMIN" } }, { token }),
      "NOT_FOUND",
    );
    expectError(
      await server.gql(ROLE, { input: { organization: org.name, login: uniqueName("ghost"), role: "ADMIN" } }, { token }),
      "NOT_FOUND",
    );
    expectError(await server.gql(ROLE, { input: { organization: org.name, login: org.admin.user.login } }, { token }), "BAD_USER_INPUT");
  });
});

describe("Organization.members", () => {
  it("pages oldest first with a stable cursor; members joining meanwhile are neither skipped nor repeated", async () => {
    const org = await createOrg(server);
    for (let i = 0; i < 6; i++) await addMember(server, org);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await server.gql(MEMBERS, { org: org.name, first: 3, after }, { token: org.admin.token });
      expectOk(res);
      const conn: any = res.body.data!.organization.members;
      seen.push(...conn.nodes.map((n: any) => n.user.login));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      if (pages === 0) await addMember(server, org);
      pages++;
    } while (after);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect(seen[0]).toBe(org.admin.user.login);
  });

  it("refuses page sizes outside 1–100 and tampered cursors", async () => {
    const org = await createOrg(server);
    await addMember(server, org);
    const token = org.admin.token;
    for (const first of [0, -1, 101]) {
      expectError(await server.gql(MEMBERS, { org: org.name, first }, { token }), "BAD_USER_INPUT");
    }
    const page = await server.gql(MEMBERS, { org: org.name, first: 1 }, { token });
    const cursor: string = page.body.data!.organization.members.pageInfo.endCursor;
    const [payload, mac] = cursor.split(".");
    const forged = Buffer.from(JSON.stringify([0, ""])).toString("base64url");
    for (const bad of ["nope", `${forged}.${mac}`, `${payload}.${mac!.slice(1)}x`, `${payload}`]) {
      expectError(await server.gql(MEMBERS, { org: org.name, after: bad }, { token }), "BAD_USER_INPUT");
    }
  });

  it("shows emails to admins and to the user themself only", async () => {
    const org = await createOrg(server);
    const bob = await addMember(server, org, "MEMBER", await createUser(server, { email: "bob@example.test" }));
    const carol = await addMember(server, org, "MEMBER", await createUser(server, { email: "carol@example.test" }));
    const emails = async (token: string) => {
      const res = await server.gql(MEMBERS, { org: org.name }, { token });
      return Object.fromEntries(res.body.data!.organization.members.nodes.map((n: any) => [n.user.login, n.user.email]));
    };
    expect(await emails(org.admin.token)).toMatchObject({ [bob.user.login]: "bob@example.test", [carol.user.login]: "carol@example.test" });
    expect(await emails(bob.token)).toMatchObject({ [bob.user.login]: "bob@example.test", [carol.user.login]: null });
    const viewer = await server.gql("{ viewer { user { email } } }", {}, { token: bob.token });
    expect(viewer.body.data!.viewer.user.email).toBe("bob@example.test");
  });

  it("does not show emails to the admin of a self-service organization, who could add anyone to it", async () => {
    const mallory = await createOrg(server, { tier: "TEAM" });
    const victim = await createUser(server, { email: "victim@example.test" });
    const added = await server.gql(
      ADD,
      { input: { organization: mallory.name, login: victim.user.login } },
      { token: mallory.admin.token },
    );
    expectOk(added);
    const res = await server.gql(MEMBERS, { org: mallory.name }, { token: mallory.admin.token });
    const shown = res.body.data!.organization.members.nodes.find((n: any) => n.user.login === victim.user.login);
    expect(shown.user.email).toBeNull();
    const site = await createUser(server, { siteAdmin: true });
    const asSite = await server.gql(MEMBERS, { org: mallory.name }, { token: site.token });
    expect(asSite.body.data!.organization).toBeNull(); // a site admin is not in the organization
    const viewer = await server.gql("{ viewer { user { email } } }", {}, { token: victim.token });
    expect(viewer.body.data!.viewer.user.email).toBe("victim@example.test");
  });
});
