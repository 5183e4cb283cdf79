import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createStack, createTeam, createUser, grant, uniqueName } from "./support/factories.js";
import type { OrgFixture, StackFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE = `mutation ($input: CreateTeamInput!) { createTeam(input: $input) { id name displayName description createdAt members { login } } }`;
const DELETE = `mutation ($input: DeleteTeamInput!) { deleteTeam(input: $input) }`;
const MEMBERSHIP = `mutation ($input: UpdateTeamMembershipInput!) { updateTeamMembership(input: $input) { name members { login } } }`;
const GRANTS = "name stackGrants { projectName stackName permission }";
const GRANT = `mutation ($input: TeamStackAccessInput!) { grantTeamStackAccess(input: $input) { ${GRANTS} } }`;
const REVOKE = `mutation ($input: TeamStackAccessInput!) { revokeTeamStackAccess(input: $input) { ${GRANTS} } }`;
const SETTINGS = `mutation ($input: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $input) { defaultStackPermission } }`;
const REMOVE_MEMBER = `mutation ($input: RemoveOrganizationMemberInput!) { removeOrganizationMember(input: $input) }`;
const TEAMS = `query ($org: String!) { organization(name: $org) { teams { name } } }`;
const TEAM = `query ($org: String!, $name: String!) { organization(name: $org) { team(name: $name) { name displayName members { login }
  stackGrants { projectName stackName permission stack { fullyQualifiedName viewerPermission } } } } }`;
const STACK = `query ($org: String!, $project: String!, $name: String!) { organization(name: $org) { stack(project: $project, name: $name) { viewerPermission } } }`;
const STACKS = `query ($org: String!) { organization(name: $org) { stacks(first: 100) { totalCount nodes { name viewerPermission } } } }`;

const eventCount = async (org: OrgFixture) => (await auditEventsOf(server, org.organization.id)).length;
const eventsSince = async (org: OrgFixture, count: number) => (await auditEventsOf(server, org.organization.id)).slice(count);
const rowCount = async (sql: string, id: string) => Number((await server.sql<{ n: number | string }>(sql, [id]))[0]!.n);
const teamRows = (org: OrgFixture) => rowCount("select count(*) as n from teams where organization_id = $1", org.organization.id);
const grantRows = (teamId: string) => rowCount("select count(*) as n from team_stack_grants where team_id = $1", teamId);

async function viewerPermission(token: string, stack: StackFixture): Promise<string | null> {
  const res = await server.gql(STACK, { org: stack.organization, project: stack.project, name: stack.stack }, { token });
  expectOk(res);
  return res.body.data!.organization.stack?.viewerPermission ?? null;
}

async function team(token: string, org: OrgFixture, name: string) {
  const res = await server.gql(TEAM, { org: org.name, name }, { token });
  expectOk(res);
  return res.body.data!.organization.team;
}

const access = (org: OrgFixture, teamName: string, stack: StackFixture, permission?: string) => ({
  input: { organization: org.name, team: teamName, project: stack.project, stack: stack.stack, ...(permission ? { permission } : {}) },
});

/** A member of an organization whose defaultStackPermission is NONE (set through GraphQL). */
async function noneDefaultOrg() {
  const org = await createOrg(server);
  const res = await server.gql(SETTINGS, { input: { organization: org.name, defaultStackPermission: "NONE" } }, { token: org.admin.token });
  expect(res.body.data!.updateOrganizationSettings.defaultStackPermission).toBe("NONE");
  return { org, member: await addMember(server, org) };
}

describe("createTeam", () => {
  it("is allowed to admins and org tokens; displayName defaults to the name; one team-created event each", async () => {
    const org = await createOrg(server);
    const orgToken = await createOrgToken(server, org);
    const before = await eventCount(org);
    const byAdmin = await server.gql(CREATE, { input: { organization: org.name, name: "Platform.Ops_1" } }, { token: org.admin.token });
    expectOk(byAdmin);
    expect(byAdmin.body.data!.createTeam).toMatchObject({
      name: "Platform.Ops_1",
      displayName: "Platform.Ops_1",
      description: null,
      members: [],
    });
    expect(byAdmin.body.data!.createTeam.createdAt).toMatch(/^\d{4}-/);
    const input = { organization: org.name, name: "release", displayName: "Release crew", description: "Ships it.\nTwice." };
    const byToken = await server.gql(CREATE, { input }, { token: orgToken.token });
    expectOk(byToken);
    expect(byToken.body.data!.createTeam).toMatchObject({ name: "release", displayName: "Release crew", description: "Ships it.\nTwice." });
    const events = await eventsSince(org, before);
    expect(events.map((e) => [e.event, e.userLogin, e.tokenName, e.authFailure])).toEqual([
      ["team-created", org.admin.user.login, null, false],
      ["team-created", null, orgToken.row.name, false],
    ]);
    expect(await teamRows(org)).toBe(2);
  });

  it("refuses bad names and texts (BAD_USER_INPUT) and a duplicate name ignoring case (CONFLICT), writing nothing", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    const before = await eventCount(org);
    for (const name of ["", "with space", "x".repeat(41), "slash/name", "émoji", "tab\t"]) {
      expectError(await server.gql(CREATE, { input: { organization: org.name, name } }, { token }), "BAD_USER_INPUT");
    }
    for (const extra of [
      { displayName: "   " },
      { displayName: "d".repeat(101) },
      { description: "d".repeat(1001) },
      { description: "bell\u0007" },
    ]) {
      expectError(await server.gql(CREATE, { input: { organization: org.name, name: "ok", ...extra } }, { token }), "BAD_USER_INPUT");
    }
    expect(await teamRows(org)).toBe(0);
    expect(await eventCount(org)).toBe(before);

    expectOk(await server.gql(CREATE, { input: { organization: org.name, name: "x".repeat(40) } }, { token }));
    expectOk(await server.gql(CREATE, { input: { organization: org.name, name: "Infra" } }, { token }));
    for (const name of ["infra", "INFRA", "Infra"]) {
      expectError(await server.gql(CREATE, { input: { organization: org.name, name } }, { token }), "CONFLICT");
    }
    expect(await teamRows(org)).toBe(2);
    expect((await eventsSince(org, before)).map((e) => e.event)).toEqual(["team-created", "team-created"]);
    // another organization may use the name
    const other = await createOrg(server);
    expectOk(await server.gql(CREATE, { input: { organization: other.name, name: "infra" } }, { token: other.admin.token }));
  });

  it("is refused to members (audited) and to outsiders (not audited)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const outsider = (await createOrg(server)).admin;
    const before = await eventCount(org);
    for (const token of [member.token, outsider.token]) {
      expectError(await server.gql(CREATE, { input: { organization: org.name, name: uniqueName("t") } }, { token }), "FORBIDDEN");
    }
    expect((await eventsSince(org, before)).map((e) => [e.event, e.userLogin, e.authFailure])).toEqual([
      ["auth-failure-organization-role", member.user.login, true],
    ]);
    expect(await teamRows(org)).toBe(0);
  });
});

describe("deleteTeam", () => {
  it("removes the team with its grants: a member with WRITE only through it falls back to the default", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const stack = await createStack(server, org);
    const t = await createTeam(server, org, { members: [member] });
    await grant(server, org, t.name, stack, "WRITE");
    expect(await viewerPermission(member.token, stack)).toBe("WRITE");
    const before = await eventCount(org);

    const res = await server.gql(DELETE, { input: { organization: org.name, name: t.name.toUpperCase() } }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data).toEqual({ deleteTeam: true });
    expect(await viewerPermission(member.token, stack)).toBe("READ");
    expect(await team(org.admin.token, org, t.name)).toBeNull();
    expect(await grantRows(t.id)).toBe(0);
    expect((await eventsSince(org, before)).map((e) => e.event)).toEqual(["team-deleted"]);

    expectError(await server.gql(DELETE, { input: { organization: org.name, name: t.name } }, { token: org.admin.token }), "NOT_FOUND");
    expectError(await server.gql(DELETE, { input: { organization: org.name, name: "ghost" } }, { token: org.admin.token }), "NOT_FOUND");
    expect(await eventCount(org)).toBe(before + 1);
  });
});

describe("updateTeamMembership", () => {
  it("adds and removes organization members, one event per effective change, none for a repeat", async () => {
    const org = await createOrg(server);
    const [bob, carol] = [await addMember(server, org), await addMember(server, org)];
    const t = await createTeam(server, org);
    const call = (input: Record<string, unknown>) =>
      server.gql(MEMBERSHIP, { input: { organization: org.name, team: t.name, ...input } }, { token: org.admin.token });
    const before = await eventCount(org);

    const added = await call({ addLogins: [bob.user.login, carol.user.login.toUpperCase()] });
    expectOk(added);
    expect(added.body.data!.updateTeamMembership.members.map((m: any) => m.login).sort()).toEqual(
      [bob.user.login, carol.user.login].sort(),
    );
    const again = await call({ addLogins: [bob.user.login] });
    expectOk(again);
    expect(again.body.data!.updateTeamMembership.members).toHaveLength(2);
    expect((await eventsSince(org, before)).map((e) => e.event)).toEqual(["team-membership-changed"]);

    const removed = await call({ removeLogins: [carol.user.login] });
    expectOk(removed);
    expect(removed.body.data!.updateTeamMembership.members).toEqual([{ login: bob.user.login }]);
    expect((await team(bob.token, org, t.name)).members).toEqual([{ login: bob.user.login }]);
    const events = await eventsSince(org, before);
    expect(events.map((e) => e.event)).toEqual(["team-membership-changed", "team-membership-changed"]);
    expect(events[1]!.description).toContain(carol.user.login);
  });

  it("refuses non-members, unknown logins and teams, empty and contradictory changes, writing nothing", async () => {
    const org = await createOrg(server);
    const bob = await addMember(server, org);
    const stranger = await createUser(server);
    const t = await createTeam(server, org);
    const call = (input: Record<string, unknown>, teamName = t.name) =>
      server.gql(MEMBERSHIP, { input: { organization: org.name, team: teamName, ...input } }, { token: org.admin.token });
    const before = await eventCount(org);

    // the non-member makes the whole call fail: bob is not added either
    expectError(await call({ addLogins: [bob.user.login, stranger.user.login] }), "BAD_USER_INPUT", /not a member/);
    expectError(await call({ addLogins: [uniqueName("ghost")] }), "NOT_FOUND");
    expectError(await call({ removeLogins: [uniqueName("ghost")] }), "NOT_FOUND");
    expectError(await call({}), "BAD_USER_INPUT");
    expectError(await call({ addLogins: [], removeLogins: [] }), "BAD_USER_INPUT");
    expectError(await call({ addLogins: [bob.user.login], removeLogins: [bob.user.login.toUpperCase()] }), "BAD_USER_INPUT");
    expectError(await call({ addLogins: [bob.user.login] }, "ghost-team"), "NOT_FOUND");

    expect((await team(org.admin.token, org, t.name)).members).toEqual([]);
    expect(await eventCount(org)).toBe(before);
  });

  it("loses a user removed from the organization", async () => {
    const org = await createOrg(server);
    const [bob, carol] = [await addMember(server, org), await addMember(server, org)];
    const t = await createTeam(server, org, { members: [bob, carol] });
    expectOk(await server.gql(REMOVE_MEMBER, { input: { organization: org.name, login: bob.user.login } }, { token: org.admin.token }));
    expect((await team(org.admin.token, org, t.name)).members).toEqual([{ login: carol.user.login }]);
  });
});

describe("grantTeamStackAccess / revokeTeamStackAccess", () => {
  it("grant READ by default, replace it with WRITE or ADMIN, revoke it; one event each", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org, { project: "web" });
    const t = await createTeam(server, org);
    const token = org.admin.token;
    const before = await eventCount(org);
    const grantsAfter = async (query: string, permission?: string) => {
      const res = await server.gql(query, access(org, t.name, stack, permission), { token });
      expectOk(res);
      return res.body.data![query === GRANT ? "grantTeamStackAccess" : "revokeTeamStackAccess"].stackGrants;
    };
    const one = (permission: string) => [{ projectName: "web", stackName: stack.stack, permission }];
    expect(await grantsAfter(GRANT)).toEqual(one("READ"));
    expect(await grantsAfter(GRANT, "WRITE")).toEqual(one("WRITE"));
    expect(await grantsAfter(GRANT, "ADMIN")).toEqual(one("ADMIN"));
    expect(await grantsAfter(REVOKE)).toEqual([]);
    expect(await grantRows(t.id)).toBe(0);
    expect((await eventsSince(org, before)).map((e) => e.event)).toEqual([
      "team-stack-permission-granted",
      "team-stack-permission-granted",
      "team-stack-permission-granted",
      "team-stack-permission-revoked",
    ]);
  });

  it("refuse NONE, unknown stacks and teams, and revoking a grant that does not exist, writing nothing", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const foreign = await createStack(server, await createOrg(server));
    const t = await createTeam(server, org);
    const token = org.admin.token;
    const before = await eventCount(org);
    expectError(await server.gql(GRANT, access(org, t.name, stack, "NONE"), { token }), "BAD_USER_INPUT");
    expectError(await server.gql(GRANT, access(org, t.name, { ...stack, stack: "nope" }, "READ"), { token }), "NOT_FOUND");
    expectError(await server.gql(GRANT, access(org, t.name, foreign, "READ"), { token }), "NOT_FOUND");
    expectError(await server.gql(GRANT, access(org, "ghost", stack, "READ"), { token }), "NOT_FOUND");
    expectError(await server.gql(REVOKE, access(org, t.name, stack), { token }), "NOT_FOUND");
    expectError(await server.gql(REVOKE, access(org, "ghost", stack), { token }), "NOT_FOUND");
    expectError(await server.gql(REVOKE, access(org, t.name, { ...stack, project: "nope" }), { token }), "NOT_FOUND");
    expect(await grantRows(t.id)).toBe(0);
    expect(await eventCount(org)).toBe(before);
  });

  it("in a NONE-default organization, a team grant is what lets a member see a stack, at the granted level", async () => {
    const { org, member } = await noneDefaultOrg();
    const own = await createStack(server, org, { as: member.caller });
    const granted = await createStack(server, org);
    const hidden = await createStack(server, org);
    const t = await createTeam(server, org, { members: [member] });
    const list = async () => {
      const res = await server.gql(STACKS, { org: org.name }, { token: member.token });
      expectOk(res);
      const { totalCount, nodes } = res.body.data!.organization.stacks;
      expect(totalCount).toBe(nodes.length);
      return Object.fromEntries(nodes.map((n: any) => [n.name, n.viewerPermission]));
    };

    expect(await viewerPermission(member.token, granted)).toBeNull();
    expect(await list()).toEqual({ [own.stack]: "ADMIN" });
    for (const permission of ["READ", "WRITE", "ADMIN"]) {
      expectOk(await server.gql(GRANT, access(org, t.name, granted, permission), { token: org.admin.token }));
      expect(await viewerPermission(member.token, granted)).toBe(permission);
      expect(await list()).toEqual({ [own.stack]: "ADMIN", [granted.stack]: permission });
    }
    expect(await viewerPermission(member.token, hidden)).toBeNull();
    expectOk(await server.gql(REVOKE, access(org, t.name, granted), { token: org.admin.token }));
    expect(await viewerPermission(member.token, granted)).toBeNull();
    expect(await list()).toEqual({ [own.stack]: "ADMIN" });
  });
});

describe("Organization.teams, Organization.team, Team fields", () => {
  it("lists teams sorted by name (ignoring case) to everyone in the organization; team(name) is null when absent", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const orgToken = await createOrgToken(server, org);
    for (const name of ["beta", "Gamma", "alpha.2", "Alpha"]) await createTeam(server, org, { name });
    for (const token of [org.admin.token, member.token, orgToken.token]) {
      const res = await server.gql(TEAMS, { org: org.name }, { token });
      expectOk(res);
      expect(res.body.data!.organization.teams.map((t: any) => t.name)).toEqual(["Alpha", "alpha.2", "beta", "Gamma"]);
    }
    expect((await team(member.token, org, "GAMMA")).name).toBe("Gamma");
    expect(await team(member.token, org, "delta")).toBeNull();
    const outsider = await server.gql(TEAMS, { org: org.name }, { token: (await createUser(server)).token });
    expect(outsider.body.data!.organization).toBeNull();
  });

  it("Team.stackGrants names every grant, but shows the stack only to callers who can READ it", async () => {
    const { org, member } = await noneDefaultOrg();
    const teammate = await addMember(server, org);
    const orgToken = await createOrgToken(server, org);
    const stack = await createStack(server, org, { project: "infra" });
    const t = await createTeam(server, org, { members: [teammate] });
    await grant(server, org, t.name, stack, "WRITE");
    const fqn = `${org.name}/infra/${stack.stack}`;
    const grantOf = async (token: string) => (await team(token, org, t.name)).stackGrants;
    const named = { projectName: "infra", stackName: stack.stack, permission: "WRITE" };

    expect(await grantOf(member.token)).toEqual([{ ...named, stack: null }]);
    expect(await grantOf(teammate.token)).toEqual([{ ...named, stack: { fullyQualifiedName: fqn, viewerPermission: "WRITE" } }]);
    expect(await grantOf(org.admin.token)).toEqual([{ ...named, stack: { fullyQualifiedName: fqn, viewerPermission: "ADMIN" } }]);
    expect(await grantOf(orgToken.token)).toEqual([{ ...named, stack: { fullyQualifiedName: fqn, viewerPermission: "WRITE" } }]);
  });
});

describe("several team mutations in one operation", () => {
  // Mutations run one after the other; each result must show the team as that mutation left it.
  it("each returns the team's members and grants as they are after it (not a per-request cached copy)", async () => {
    const org = await createOrg(server);
    const [bob, carol] = [await addMember(server, org), await addMember(server, org)];
    const stack = await createStack(server, org);
    const t = await createTeam(server, org);
    const res = await server.gql(
      `mutation ($o: String!, $t: String!, $b: String!, $c: String!, $p: String!, $s: String!) {
        a: updateTeamMembership(input: { organization: $o, team: $t, addLogins: [$b] }) { members { login } }
        b: updateTeamMembership(input: { organization: $o, team: $t, addLogins: [$c] }) { members { login } }
        g1: grantTeamStackAccess(input: { organization: $o, team: $t, project: $p, stack: $s, permission: READ }) { stackGrants { permission } }
        g2: grantTeamStackAccess(input: { organization: $o, team: $t, project: $p, stack: $s, permission: ADMIN }) { stackGrants { permission } }
      }`,
      { o: org.name, t: t.name, b: bob.user.login, c: carol.user.login, p: stack.project, s: stack.stack },
      { token: org.admin.token },
    );
    expectOk(res);
    const both = [bob, carol].map((u) => ({ login: u.user.login })).sort((x, y) => (x.login < y.login ? -1 : 1));
    expect(res.body.data).toEqual({
      a: { members: [{ login: bob.user.login }] },
      b: { members: both },
      g1: { stackGrants: [{ permission: "READ" }] },
      g2: { stackGrants: [{ permission: "ADMIN" }] },
    });
  });
});

describe("permission refusals", () => {
  it("members may not delete teams nor change membership or grants, org tokens only delete (FORBIDDEN, audited)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const orgToken = await createOrgToken(server, org);
    const stack = await createStack(server, org);
    const t = await createTeam(server, org);
    await grant(server, org, t.name, stack, "READ");
    const before = await eventCount(org);
    for (const token of [member.token, orgToken.token]) {
      const membership = { input: { organization: org.name, team: t.name, addLogins: [member.user.login] } };
      expectError(await server.gql(MEMBERSHIP, membership, { token }), "FORBIDDEN");
      expectError(await server.gql(GRANT, access(org, t.name, stack, "ADMIN"), { token }), "FORBIDDEN");
      expectError(await server.gql(REVOKE, access(org, t.name, stack), { token }), "FORBIDDEN");
    }
    const deletion = { input: { organization: org.name, name: t.name } };
    expectError(await server.gql(DELETE, deletion, { token: member.token }), "FORBIDDEN");
    const events = await eventsSince(org, before);
    expect(events.map((e) => e.event)).toEqual(Array(7).fill("auth-failure-organization-role"));
    expect(events.map((e) => e.tokenName)).toEqual([null, null, null, orgToken.row.name, orgToken.row.name, orgToken.row.name, null]);
    const after = await team(org.admin.token, org, t.name);
    expect(after.members).toEqual([]);
    expect(after.stackGrants.map((g: any) => g.permission)).toEqual(["READ"]);
    expectOk(await server.gql(DELETE, deletion, { token: orgToken.token }));
    expect((await eventsSince(org, before)).map((e) => [e.event, e.tokenName]).at(-1)).toEqual(["team-deleted", orgToken.row.name]);
    expect(await teamRows(org)).toBe(0);
  });
});
