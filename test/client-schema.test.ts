// What the new shapes of issue 13 do when called: an update by its id and its actor, audit
// event types, engine event types, the narrow input enums, team grants by StackRef, a stack
// by StackRef, and DateTime errors that give the accepted forms.
import { graphql } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBareSchema } from "../src/graphql/schema.js";
import { auditEventsOf, errorCodes, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createStack, createTeam, createUser, startUpdate } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

const START = `mutation ($input: StartUpdateInput!) { startUpdate(input: $input) { id version requestedBy startedBy { kind name organizationTokenId user { login } } } }`;
const UPDATE_BY_ID = `query ($id: ID!) { stackUpdate(id: $id) { id version status stack { fullyQualifiedName viewerPermission } startedBy { kind name } } }`;

describe("StackUpdate.startedBy", () => {
  it("tells a user from an organization token of the same name (requestedBy cannot)", async () => {
    const login = `ci-${Date.now().toString(36)}`;
    const user = await createUser(server, { login });
    const org = await createOrg(server, { admin: user });
    const token = await createOrgToken(server, org, { name: login });
    const stack = await createStack(server, org);
    const ref = { organization: org.name, project: stack.project, stack: stack.stack };
    const byUser = await server.gql(START, { input: { stack: ref, kind: "PREVIEW" } }, { token: user.token });
    const byToken = await server.gql(START, { input: { stack: ref, kind: "PREVIEW" } }, { token: token.token });
    expectOk(byUser);
    expectOk(byToken);
    expect(byUser.body.data!.startUpdate).toMatchObject({
      requestedBy: login,
      startedBy: { kind: "USER", name: login, organizationTokenId: null, user: { login } },
    });
    expect(byToken.body.data!.startUpdate).toMatchObject({
      requestedBy: login,
      startedBy: { kind: "ORGANIZATION_TOKEN", name: login, organizationTokenId: token.row.id, user: null },
    });
  });
});

describe("Query.stackUpdate", () => {
  it("finds an update by its id, with its stack; null for an unknown id and for callers who cannot READ the stack", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const update = await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
    const res = await server.gql(UPDATE_BY_ID, { id: update.id }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.stackUpdate).toEqual({
      id: update.id,
      version: 1,
      status: "SUCCEEDED",
      stack: { fullyQualifiedName: `${org.name}/${stack.project}/${stack.stack}`, viewerPermission: "ADMIN" },
      startedBy: { kind: "USER", name: org.admin.user.login },
    });
    expect((await server.gql(UPDATE_BY_ID, { id: "00000000-0000-4000-8000-000000000000" }, { token: org.admin.token })).body.data).toEqual({
      stackUpdate: null,
    });
    const outsider = (await createOrg(server)).admin;
    expect((await server.gql(UPDATE_BY_ID, { id: update.id }, { token: outsider.token })).body).toEqual({ data: { stackUpdate: null } });
    await server.app.services.organizations.updateSettings(org.admin.caller, org.organization, {
      organization: org.name,
      defaultPermission: "NONE",
    });
    const member = await addMember(server, org);
    expect((await server.gql(UPDATE_BY_ID, { id: update.id }, { token: member.token })).body).toEqual({ data: { stackUpdate: null } });
  });
});

describe("Query.stack", () => {
  it("finds a stack by its StackRef; null when the caller cannot READ it or is outside", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const QUERY = `query ($ref: StackRef!) { stack(ref: $ref) { fullyQualifiedName viewerPermission } }`;
    const ref = { organization: org.name, project: stack.project, stack: stack.stack };
    expect((await server.gql(QUERY, { ref }, { token: org.admin.token })).body).toEqual({
      data: { stack: { fullyQualifiedName: `${org.name}/${stack.project}/${stack.stack}`, viewerPermission: "ADMIN" } },
    });
    expect((await server.gql(QUERY, { ref: { ...ref, stack: "nope" } }, { token: org.admin.token })).body).toEqual({
      data: { stack: null },
    });
    expect((await server.gql(QUERY, { ref }, { token: (await createUser(server)).token })).body).toEqual({ data: { stack: null } });
  });
});

describe("AuditLogEvent.eventType and AuditLogFilter.eventType", () => {
  it("give the event as an enum, and filter by it as by the kebab-case id", async () => {
    const org = await createOrg(server);
    await createTeam(server, org);
    await createStack(server, org);
    const QUERY = `query ($org: String!, $filter: AuditLogFilter) { organization(name: $org) {
      auditLogEventsConnection(filter: $filter) { totalCount nodes { event eventType } } } }`;
    const all = await server.gql(QUERY, { org: org.name }, { token: org.admin.token });
    expectOk(all);
    expect(all.body.data!.organization.auditLogEventsConnection.nodes).toEqual([
      { event: "stack-created", eventType: "STACK_CREATED" },
      { event: "team-created", eventType: "TEAM_CREATED" },
      { event: "subscription-changed", eventType: "SUBSCRIPTION_CHANGED" },
      { event: "organization-created", eventType: "ORGANIZATION_CREATED" },
    ]);
    const byType = await server.gql(QUERY, { org: org.name, filter: { eventType: "TEAM_CREATED" } }, { token: org.admin.token });
    expect(byType.body.data!.organization.auditLogEventsConnection).toEqual({
      totalCount: 1,
      nodes: [{ event: "team-created", eventType: "TEAM_CREATED" }],
    });
    const disagree = await server.gql(
      QUERY,
      { org: org.name, filter: { eventType: "TEAM_CREATED", event: "stack-created" } },
      { token: org.admin.token },
    );
    expect(errorCodes(disagree)).toEqual(["BAD_USER_INPUT"]);
    expect(disagree.body.errors![0]!.extensions!.field).toBe("filter.eventType");
  });
});

describe("UpdateEvent.engineEventType", () => {
  it("is the type as an EngineEventType, or null for a type the enum does not list", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const update = await startUpdate(server, org, stack);
    await server.app.services.updates.append(update, [
      { sequence: 0, type: "stdoutEvent", payload: { message: "hi" } },
      { sequence: 1, type: "futureEngineEvent", payload: {} },
    ]);
    const res = await server.gql(
      `query ($id: ID!) { stackUpdate(id: $id) { events { nodes { type engineEventType } } } }`,
      { id: update.id },
      { token: org.admin.token },
    );
    expect(res.body.data!.stackUpdate.events.nodes).toEqual([
      { type: "stdoutEvent", engineEventType: "stdoutEvent" },
      { type: "futureEngineEvent", engineEventType: null },
    ]);
  });
});

describe("UpdateOrganizationSettingsInput.defaultPermission", () => {
  it("sets the default stack permission; its enum has no ADMIN, so a typed client cannot send it", async () => {
    const org = await createOrg(server);
    const SETTINGS = `mutation ($input: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $input) { defaultStackPermission } }`;
    const res = await server.gql(SETTINGS, { input: { organization: org.name, defaultPermission: "WRITE" } }, { token: org.admin.token });
    expect(res.body).toEqual({ data: { updateOrganizationSettings: { defaultStackPermission: "WRITE" } } });
    const admin = await server.gql(SETTINGS, { input: { organization: org.name, defaultPermission: "ADMIN" } }, { token: org.admin.token });
    expect(errorCodes(admin)).toEqual(["BAD_USER_INPUT"]);
    expect(admin.body.errors![0]!.message).toMatch(/ADMIN/);
    expect((await auditEventsOf(server, org.organization.id)).at(-1)).toMatchObject({
      event: "organization-settings-changed",
      description: 'Changed defaultStackPermission to "WRITE"',
    });
  });
});

describe("setTeamStackGrant and removeTeamStackGrant", () => {
  it("grant and remove by StackRef, audited; READ/WRITE/ADMIN only; NOT_FOUND for a team or stack that does not exist", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const team = await createTeam(server, org);
    const ref = { organization: org.name, project: stack.project, stack: stack.stack };
    const SET = `mutation ($input: SetTeamStackGrantInput!) { setTeamStackGrant(input: $input) { name stackGrantsConnection { nodes { stackName permission } } } }`;
    const REMOVE = `mutation ($input: RemoveTeamStackGrantInput!) { removeTeamStackGrant(input: $input) { stackGrantsConnection { totalCount } } }`;
    const token = org.admin.token;
    const set = await server.gql(SET, { input: { stack: ref, team: team.name, permission: "WRITE" } }, { token });
    expect(set.body).toEqual({
      data: { setTeamStackGrant: { name: team.name, stackGrantsConnection: { nodes: [{ stackName: stack.stack, permission: "WRITE" }] } } },
    });
    expect(errorCodes(await server.gql(SET, { input: { stack: ref, team: team.name, permission: "NONE" } }, { token }))).toEqual([
      "BAD_USER_INPUT",
    ]);
    expectError(
      await server.gql(SET, { input: { stack: { ...ref, stack: "nope" }, team: team.name, permission: "READ" } }, { token }),
      "NOT_FOUND",
    );
    expectError(await server.gql(SET, { input: { stack: ref, team: "nope", permission: "READ" } }, { token }), "NOT_FOUND");
    expect((await server.gql(REMOVE, { input: { stack: ref, team: team.name } }, { token })).body).toEqual({
      data: { removeTeamStackGrant: { stackGrantsConnection: { totalCount: 0 } } },
    });
    expectError(await server.gql(REMOVE, { input: { stack: ref, team: team.name } }, { token }), "NOT_FOUND");
    expect((await auditEventsOf(server, org.organization.id)).slice(-2).map((e) => e.event)).toEqual([
      "team-stack-permission-granted",
      "team-stack-permission-revoked",
    ]);
    // a member is refused (audited), an outsider is refused (not audited in this organization)
    const member = await addMember(server, org);
    expectError(
      await server.gql(SET, { input: { stack: ref, team: team.name, permission: "READ" } }, { token: member.token }),
      "FORBIDDEN",
    );
    expect((await auditEventsOf(server, org.organization.id)).at(-1)).toMatchObject({
      event: "auth-failure-organization-role",
      authFailure: true,
    });
  });
});

describe("DateTime", () => {
  const CREATE = `mutation ($input: CreatePersonalAccessTokenInput!) { createPersonalAccessToken(input: $input) { token { expiresAt } } }`;
  const soon = new Date(Date.now() + 30 * 86_400_000);
  const day = soon.toISOString().slice(0, 10);

  it("accepts a date-time with a time zone (seconds optional) and a date (midnight UTC)", async () => {
    const user = await createUser(server);
    const cases: Array<[string, string]> = [
      [`${day}T12:00:00Z`, `${day}T12:00:00.000Z`],
      [`${day}T14:00:00.5+02:00`, `${day}T12:00:00.500Z`],
      [`${day}T12:30Z`, `${day}T12:30:00.000Z`],
      [day, `${day}T00:00:00.000Z`],
    ];
    for (const [given, stored] of cases) {
      const res = await server.gql(CREATE, { input: { description: "dates", expiresAt: given } }, { token: user.token });
      expect(res.body, given).toEqual({ data: { createPersonalAccessToken: { token: { expiresAt: stored } } } });
    }
  });

  // Over HTTP, a variable's coercion error is the executor's to phrase (graphql-jit, whose
  // messages are being brought up to graphql-js's); graphql-js on the same schema shows the
  // scalar's message, as a literal over HTTP does.
  it("refuses anything else with the forms it accepts: a variable (graphql-js), a literal (HTTP)", async () => {
    const user = await createUser(server);
    const FORMS =
      /with a time zone, e\.g\. 2030-03-31T12:00:00Z or 2030-03-31T14:00:00\+02:00, or a date, e\.g\. 2030-03-31 \(midnight UTC\)/;
    for (const given of [
      "tomorrow",
      `${day}T12:00:00`,
      "2030-02-30",
      `${day}T25:00:00Z`,
      `${day} 12:00:00Z`,
      `${day}T12:00:00+2:00`,
      "1767225600",
    ]) {
      const res = await graphql({
        schema: buildBareSchema(),
        source: `query ($f: AuditLogFilter) { organization(name: "x") { auditLogEventsConnection(filter: $f) { totalCount } } }`,
        variableValues: { f: { since: given } },
      });
      expect(
        res.errors?.map((e) => e.message),
        given,
      ).toEqual([expect.stringMatching(FORMS)]);
      expect(res.errors![0]!.message).toContain('at "f.since"');
    }
    const literal = await server.gql(
      `mutation { createPersonalAccessToken(input: { description: "x", expiresAt: "soon" }) { secret } }`,
      {},
      { token: user.token },
    );
    expect(literal.body.errors![0]!.message).toMatch(/with a time zone, e\.g\. 2030-03-31T12:00:00Z/);
    const number = await server.gql(
      `mutation { createPersonalAccessToken(input: { description: "x", expiresAt: 5 }) { secret } }`,
      {},
      { token: user.token },
    );
    expect(number.body.errors![0]!.message).toMatch(/as a string; got 5/);
  });
});
