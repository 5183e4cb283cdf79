// Errors a console can tie to a form field: a BAD_USER_INPUT (and a CONFLICT about a taken
// name) carries `extensions.field`, the path of the input it is about in the operation's
// arguments (`input.name`, `input.events[1].payload`, `first`). One row per check of every
// operation that validates input, each sent through GraphQL as a client would.
import type { Variables } from "./support/operations.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodes } from "./support/assertions.js";
import {
  addMember,
  createOrg,
  createStack,
  createTeam,
  createUser,
  type OrgFixture,
  type StackFixture,
  stackNode,
  startUpdate,
  uniqueName,
} from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
let org: OrgFixture;
let stack: StackFixture;
let siteAdmin: string;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
  org = await createOrg(server);
  stack = await createStack(server, org, { tags: [{ name: "env", value: "dev" }] });
  siteAdmin = (await createUser(server, { siteAdmin: true })).token;
});
afterAll(() => server.close());

interface Row {
  /** What is wrong, as the test's name. */
  what: string;
  query: string;
  variables: () => Variables | Promise<Variables>;
  code?: "BAD_USER_INPUT" | "CONFLICT";
  field: string;
  as?: () => string;
}

const m = (name: string, type: string, selection = "") => `mutation ($input: ${type}!) { ${name}(input: $input) ${selection} }`;
const ref = () => ({ organization: org.name, project: stack.project, stack: stack.stack });
const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const inTwoYears = () => new Date(Date.now() + 3 * 365 * 86_400_000).toISOString();
const organization = (selection: string, declared = "") => `query ($org: String!${declared}) { organization(name: $org) { ${selection} } }`;

const ROWS: Row[] = [
  // users and organizations
  {
    what: "createUser: a bad login",
    query: m("createUser", "CreateUserInput", "{ secret }"),
    variables: () => ({ input: { login: "no spaces" } }),
    field: "input.login",
    as: () => siteAdmin,
  },
  {
    what: "createUser: a bad email",
    query: m("createUser", "CreateUserInput", "{ secret }"),
    variables: () => ({ input: { login: uniqueName("u"), email: "nope" } }),
    field: "input.email",
    as: () => siteAdmin,
  },
  {
    what: "createUser: a taken login",
    code: "CONFLICT",
    query: m("createUser", "CreateUserInput", "{ secret }"),
    variables: () => ({ input: { login: org.admin.user.login } }),
    field: "input.login",
    as: () => siteAdmin,
  },
  {
    what: "createOrganization: a bad name",
    query: m("createOrganization", "CreateOrganizationInput", "{ id }"),
    variables: () => ({ input: { name: "a/b" } }),
    field: "input.name",
  },
  {
    what: "createOrganization: an empty display name",
    query: m("createOrganization", "CreateOrganizationInput", "{ id }"),
    variables: () => ({ input: { name: uniqueName("o"), displayName: " " } }),
    field: "input.displayName",
  },
  {
    what: "createOrganization: a taken name",
    code: "CONFLICT",
    query: m("createOrganization", "CreateOrganizationInput", "{ id }"),
    variables: () => ({ input: { name: org.name } }),
    field: "input.name",
  },
  {
    what: "updateOrganizationSettings: ADMIN as the default",
    query: m("updateOrganizationSettings", "UpdateOrganizationSettingsInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, defaultStackPermission: "ADMIN" } }),
    field: "input.defaultStackPermission",
  },
  {
    what: "updateOrganizationSettings: both default fields",
    query: m("updateOrganizationSettings", "UpdateOrganizationSettingsInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, defaultStackPermission: "READ", defaultPermission: "READ" } }),
    field: "input.defaultStackPermission",
  },
  {
    what: "setOrganizationSubscription: a trial end in the past",
    query: m("setOrganizationSubscription", "SetSubscriptionInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, tier: "TEAM", trialEndsAt: "2020-01-01T00:00:00Z" } }),
    field: "input.trialEndsAt",
    as: () => siteAdmin,
  },
  // tokens
  {
    what: "createPersonalAccessToken: an empty description",
    query: m("createPersonalAccessToken", "CreatePersonalAccessTokenInput", "{ secret }"),
    variables: () => ({ input: { description: "" } }),
    field: "input.description",
  },
  {
    what: "createPersonalAccessToken: an expiry too far away",
    query: m("createPersonalAccessToken", "CreatePersonalAccessTokenInput", "{ secret }"),
    variables: () => ({ input: { description: "x", expiresAt: inTwoYears() } }),
    field: "input.expiresAt",
  },
  {
    what: "createOrganizationAccessToken: a bad name",
    query: m("createOrganizationAccessToken", "CreateOrganizationAccessTokenInput", "{ secret }"),
    variables: () => ({ input: { organization: org.name, name: "a b" } }),
    field: "input.name",
  },
  {
    what: "createOrganizationAccessToken: a description with a control character",
    query: m("createOrganizationAccessToken", "CreateOrganizationAccessTokenInput", "{ secret }"),
    variables: () => ({ input: { organization: org.name, name: uniqueName("t"), description: "a\u0001" } }),
    field: "input.description",
  },
  // teams
  {
    what: "createTeam: a bad name",
    query: m("createTeam", "CreateTeamInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, name: "" } }),
    field: "input.name",
  },
  {
    what: "createTeam: a description too long",
    query: m("createTeam", "CreateTeamInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, name: uniqueName("t"), description: "x".repeat(1001) } }),
    field: "input.description",
  },
  {
    what: "updateTeamMembership: the second login is not a member",
    query: m("updateTeamMembership", "UpdateTeamMembershipInput", "{ name }"),
    variables: async () => ({
      input: {
        organization: org.name,
        team: (await createTeam(server, org)).name,
        addLogins: [(await addMember(server, org)).user.login, (await createUser(server)).user.login],
      },
    }),
    field: "input.addLogins[1]",
  },
  {
    what: "updateTeamMembership: a login both added and removed",
    query: m("updateTeamMembership", "UpdateTeamMembershipInput", "{ name }"),
    variables: async () => ({
      input: {
        organization: org.name,
        team: (await createTeam(server, org)).name,
        addLogins: [org.admin.user.login],
        removeLogins: ["x", org.admin.user.login],
      },
    }),
    field: "input.removeLogins[1]",
  },
  {
    what: "grantTeamStackAccess: NONE",
    query: m("grantTeamStackAccess", "TeamStackAccessInput", "{ name }"),
    variables: async () => ({
      input: {
        organization: org.name,
        team: (await createTeam(server, org)).name,
        project: stack.project,
        stack: stack.stack,
        permission: "NONE",
      },
    }),
    field: "input.permission",
  },
  // stacks and tags
  {
    what: "createStack: a bad project",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, project: "a b", stack: "s" } }),
    field: "input.project",
  },
  {
    what: "createStack: a bad stack name",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, project: "p", stack: "" } }),
    field: "input.stack",
  },
  {
    what: "createStack: a bad second tag name",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({
      input: {
        organization: org.name,
        project: "p",
        stack: uniqueName("s"),
        tags: [
          { name: "ok", value: "1" },
          { name: "bad tag", value: "2" },
        ],
      },
    }),
    field: "input.tags[1].name",
  },
  {
    what: "createStack: a tag given twice",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({
      input: {
        organization: org.name,
        project: "p",
        stack: uniqueName("s"),
        tags: [
          { name: "a", value: "1" },
          { name: "a", value: "2" },
        ],
      },
    }),
    field: "input.tags[1].name",
  },
  {
    what: "createStack: pulumi:project other than the project",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({
      input: { organization: org.name, project: "p", stack: uniqueName("s"), tags: [{ name: "pulumi:project", value: "q" }] },
    }),
    field: "input.tags[0].value",
  },
  {
    what: "createStack: a taken name",
    code: "CONFLICT",
    query: m("createStack", "CreateStackInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, project: stack.project, stack: stack.stack } }),
    field: "input.stack",
  },
  {
    what: "deleteStack: resources left without force",
    query: m("deleteStack", "DeleteStackInput"),
    variables: async () => {
      const full = await createStack(server, org);
      await server.app.services.stacks.importState(org.admin.caller, await stackNode(server, org, full), {
        deployment: { resources: [{ urn: "u" }] },
      });
      return { input: { stack: { organization: org.name, project: full.project, stack: full.stack } } };
    },
    field: "input.force",
  },
  {
    what: "transferStack: to its own organization",
    query: m("transferStack", "TransferStackInput", "{ id }"),
    variables: () => ({ input: { stack: ref(), destinationOrganization: org.name } }),
    field: "input.destinationOrganization",
  },
  {
    what: "setStackTag: a built-in tag",
    query: m("setStackTag", "SetStackTagInput", "{ name }"),
    variables: () => ({ input: { stack: ref(), name: "vcs:repo", value: "x" } }),
    field: "input.name",
  },
  {
    what: "setStackTag: a value too long",
    query: m("setStackTag", "SetStackTagInput", "{ name }"),
    variables: () => ({ input: { stack: ref(), name: "owner", value: "v".repeat(257) } }),
    field: "input.value",
  },
  {
    what: "deleteStackTag: a bad name",
    query: m("deleteStackTag", "DeleteStackTagInput"),
    variables: () => ({ input: { stack: ref(), name: "no spaces" } }),
    field: "input.name",
  },
  {
    what: "importStackState: resources not an array",
    query: m("importStackState", "ImportStackStateInput", "{ id }"),
    variables: () => ({ input: { stack: ref(), state: { deployment: { resources: 3 } } } }),
    field: "input.state.deployment.resources",
  },
  // updates
  {
    what: "startUpdate: a message too long",
    query: m("startUpdate", "StartUpdateInput", "{ id }"),
    variables: () => ({ input: { stack: ref(), kind: "PREVIEW", message: "m".repeat(1001) } }),
    field: "input.message",
  },
  {
    what: "appendUpdateEvents: the second event's type",
    query: m("appendUpdateEvents", "AppendUpdateEventsInput"),
    variables: async () => ({
      input: {
        updateId: await runningPreview(),
        events: [
          { sequence: 0, type: "stdoutEvent", payload: {} },
          { sequence: 1, type: "no spaces", payload: {} },
        ],
      },
    }),
    field: "input.events[1].type",
  },
  {
    what: "appendUpdateEvents: a payload over 64 KiB",
    query: m("appendUpdateEvents", "AppendUpdateEventsInput"),
    variables: async () => ({
      input: { updateId: await runningPreview(), events: [{ sequence: 0, type: "stdoutEvent", payload: { text: "x".repeat(65 * 1024) } }] },
    }),
    field: "input.events[0].payload",
  },
  {
    what: "completeUpdate: a negative resource count",
    query: m("completeUpdate", "CompleteUpdateInput", "{ id }"),
    variables: async () => ({ input: { updateId: await runningPreview(), status: "SUCCEEDED", resourceChanges: { delete: -1 } } }),
    field: "input.resourceChanges.delete",
  },
  {
    what: "completeStackUpdate: a state that is not an object",
    query: m("completeStackUpdate", "CompleteStackUpdateInput", "{ id }"),
    variables: async () => ({
      input: { updateId: (await startUpdate(server, org, await createStack(server, org))).id, outcome: "SUCCEEDED", state: [1] },
    }),
    field: "input.state",
  },
  // webhooks
  {
    what: "createWebhook: a bad name",
    query: m("createWebhook", "CreateWebhookInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, name: "x".repeat(33), payloadUrl: "https://example.test/h" } }),
    field: "input.name",
  },
  {
    what: "createWebhook: a URL with credentials",
    query: m("createWebhook", "CreateWebhookInput", "{ id }"),
    variables: () => ({ input: { organization: org.name, name: uniqueName("w").slice(0, 32), payloadUrl: "https://u:p@example.test/h" } }),
    field: "input.payloadUrl",
  },
  {
    what: "createWebhook: a bad secret",
    query: m("createWebhook", "CreateWebhookInput", "{ id }"),
    variables: () => ({
      input: { organization: org.name, name: uniqueName("w").slice(0, 32), payloadUrl: "https://example.test/h", secret: "whsec_short" },
    }),
    field: "input.secret",
  },
  {
    what: "createWebhook: an unknown second filter",
    query: m("createWebhook", "CreateWebhookInput", "{ id }"),
    variables: () => ({
      input: {
        organization: org.name,
        name: uniqueName("w").slice(0, 32),
        payloadUrl: "https://example.test/h",
        filters: ["stack_created", "stack_renamed"],
      },
    }),
    field: "input.filters[1]",
  },
  {
    what: "updateWebhook: a new secret and clearSecret",
    query: m("updateWebhook", "UpdateWebhookInput", "{ id }"),
    variables: async () => ({ input: { organization: org.name, name: await webhook(), secret: SECRET, clearSecret: true } }),
    field: "input.clearSecret",
  },
  // field arguments
  {
    what: "Organization.stacks: first out of range",
    query: organization("stacks(first: $first) { totalCount }", ", $first: Int"),
    variables: () => ({ org: org.name, first: 0 }),
    field: "first",
  },
  {
    what: "Organization.stacks: a tampered cursor",
    query: organization("stacks(after: $after) { totalCount }", ", $after: String"),
    variables: () => ({ org: org.name, after: "abc.def" }),
    field: "after",
  },
  {
    what: "Organization.stacks: tagValue without tagName",
    query: organization('stacks(tagValue: "x") { totalCount }'),
    variables: () => ({ org: org.name }),
    field: "tagName",
  },
  {
    what: "Organization.auditLogEventsConnection: an unknown event id",
    query: organization('auditLogEventsConnection(filter: { event: "nope" }) { totalCount }'),
    variables: () => ({ org: org.name }),
    field: "filter.event",
  },
  {
    what: "Organization.auditLogEventsConnection: since after until",
    query: organization(
      'auditLogEventsConnection(filter: { since: "2030-01-02T00:00:00Z", until: "2030-01-01T00:00:00Z" }) { totalCount }',
    ),
    variables: () => ({ org: org.name }),
    field: "filter.until",
  },
  {
    what: "Organization.exportAuditLogEvents: since after until",
    query: organization('exportAuditLogEvents(format: CSV, since: "2030-01-02", until: "2030-01-01") { eventCount }'),
    variables: () => ({ org: org.name }),
    field: "until",
  },
  {
    what: "Team.membersConnection: first out of range",
    query: `query ($org: String!, $team: String!) { organization(name: $org) { team(name: $team) { membersConnection(first: 101) { totalCount } } } }`,
    variables: async () => ({ org: org.name, team: (await createTeam(server, org)).name }),
    field: "first",
  },
];

async function runningPreview(): Promise<string> {
  return (await startUpdate(server, org, stack, "PREVIEW")).id;
}

async function webhook(): Promise<string> {
  const name = uniqueName("w").slice(0, 32);
  await server.app.services.webhooks.create(org.admin.caller, org.organization, {
    organization: org.name,
    name,
    payloadUrl: "https://example.test/h",
  });
  return name;
}

describe("extensions.field", () => {
  it.each(ROWS)("$what → $field", async (row) => {
    const res = await server.gql(row.query, await row.variables(), { token: row.as?.() ?? org.admin.token });
    expect(errorCodes(res), res.raw).toEqual([row.code ?? "BAD_USER_INPUT"]);
    expect(res.body.errors![0]!.extensions, res.raw).toMatchObject({ field: row.field });
  });

  it("is absent from errors that are about no one input", async () => {
    const res = await server.gql(
      m("updateOrganizationSettings", "UpdateOrganizationSettingsInput", "{ id }"),
      { input: { organization: org.name } },
      { token: org.admin.token },
    );
    expect(errorCodes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(res.body.errors![0]!.extensions).toEqual({ code: "BAD_USER_INPUT" });
  });

  it("names the query parameter on the HTTP export route too", async () => {
    const res = await server.app.fastify.inject({
      method: "GET",
      url: `/api/orgs/${org.name}/auditlogs/export?format=csv&since=yesterday`,
      headers: { authorization: `token ${org.admin.token}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT", field: "since" }, message: expect.stringMatching(/e\.g\. 2030-03-31T12:00:00Z/) }],
    });
  });
});

describe("U+0000 in any string", () => {
  // PostgreSQL cannot hold or compare a NUL ("invalid byte sequence"): refused on both backends alike, before Apollo
  const ORG = `query ($name: String!) { organization(name: $name) { id } }`;
  const refused = (res: Awaited<ReturnType<TestServer["gql"]>>, where: RegExp) => {
    expect(res.status, res.raw).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(res.body.errors?.[0]?.message).toMatch(where);
  };

  it("in a variable, a nested value or a key: refused with its path", async () => {
    refused(await server.gql(ORG, { name: `a${"\u0000"}b` }, { token: org.admin.token }), /^variables\.name holds U\+0000/);
    const tags = {
      input: {
        tags: [
          { name: "ok", value: "ok" },
          { name: "x", value: "\u0000" },
        ],
      },
    };
    refused(await server.gql(ORG, { name: org.name, ...tags }, { token: org.admin.token }), /^variables\.input\.tags\[1\]\.value holds/);
    refused(
      await server.gql(ORG, { name: org.name, extra: { ["k\u0000"]: 1 } }, { token: org.admin.token }),
      /^variables\.extra\."k\\u0000" holds/,
    );
  });

  it("in a literal of the document, as \\u0000 or \\u{0}: refused", async () => {
    refused(
      await server.gql(`{ organization(name: "a\\u0000") { id } }`, {}, { token: org.admin.token }),
      /string literal of the document/,
    );
    refused(await server.gql(`{ organization(name: "a\\u{00}") { id } }`, {}, { token: org.admin.token }), /string literal/);
  });

  it("a variable nested 100,000 deep is walked without overflowing", async () => {
    // the JSON written by hand: JSON.stringify itself would overflow on it
    const deep = `${"[".repeat(100_000)}"\\u0000"${"]".repeat(100_000)}`;
    const res = await server.app.fastify.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json", authorization: `token ${org.admin.token}` },
      payload: `{"query":${JSON.stringify(ORG)},"variables":{"name":"x","deep":${deep}}}`,
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(JSON.parse(res.body).errors[0]).toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
      message: expect.stringMatching(/^variables\.deep(\[0\])+ holds U\+0000/),
    });
  });

  it("other control characters and \\u0001 pass this check (the field checks judge them)", async () => {
    const res = await server.gql(ORG, { name: "a\u0001" }, { token: org.admin.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ organization: null });
  });
});
