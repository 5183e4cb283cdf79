// Operations the schema offers beyond ../shared/contract/permissions.json (issue 13: paged
// lists, input-object mutations, lookups by StackRef and by update id), with who may call
// them, in the same shape as the contract's rows. test/permission-matrix.test.ts runs them
// like the contract's, test/audit-completeness.test.ts checks their audit trail, and the
// README's permission table lists them below the contract's.
import { createTeam, grant, uniqueName } from "./factories.js";
import { mutation, type OperationCase, runningUpdate, stackRef } from "./operations.js";
import type { PermissionRow } from "./permission-matrix-table.js";
import type { World } from "./world.js";

/** The same callers as a contract row names, so the rows read like permissions.json. */
const inOrganization = { admin: true, member: true, orgToken: true, outsider: false };
const adminsOnly = { admin: true, member: false, orgToken: false, outsider: false };
const adminsAndTokens = { admin: true, member: false, orgToken: true, outsider: false };
const users = { admin: true, member: true, orgToken: false, outsider: true };

export const EXTRA_ROWS: PermissionRow[] = [
  { operation: "Query.stack", ...inOrganization },
  { operation: "Query.stackUpdate", ...inOrganization },
  { operation: "Query.personalAccessTokensConnection", ...users },
  { operation: "Organization.teamsConnection", ...inOrganization },
  { operation: "Team.membersConnection", ...inOrganization },
  { operation: "Team.stackGrantsConnection", ...inOrganization },
  { operation: "Organization.accessTokensConnection", ...adminsOnly },
  { operation: "Organization.webhooksConnection", ...adminsAndTokens },
  { operation: "Organization.auditLogEventsConnection", ...adminsAndTokens },
  { operation: "Mutation.completeStackUpdate (kind UPDATE)", ...adminsAndTokens },
  { operation: "Mutation.cancelStackUpdate (kind UPDATE)", ...adminsAndTokens },
  { operation: "Mutation.revokePersonalAccessToken", ...users },
  { operation: "Mutation.revokeOrganizationAccessToken", ...adminsOnly },
  { operation: "Mutation.setTeamStackGrant", ...adminsOnly },
  { operation: "Mutation.removeTeamStackGrant", ...adminsOnly },
];

/** The id of the world's completed update (version 1 of its stack). */
const worldUpdateId = async (w: World): Promise<string> => {
  const [row] = await w.server.sql<{ id: string }>("select id from stack_updates where stack_id = $1 and version = 1", [w.stack.id]);
  return row!.id;
};

const orgField = (field: string, selection: string): OperationCase => ({
  request: (w) => ({ query: `query ($org: String!) { organization(name: $org) { ${selection} } }`, variables: { org: w.org.name } }),
  result: (data) => data?.organization?.[field],
});

const teamField = (field: string, selection: string): OperationCase => ({
  request: async (w) => {
    const team = (await createTeam(w.server, w.org, { members: [w.member] })).name;
    await grant(w.server, w.org, team, w.stack, "READ");
    return {
      query: `query ($org: String!, $team: String!) { organization(name: $org) { team(name: $team) { ${selection} } } }`,
      variables: { org: w.org.name, team },
    };
  },
  result: (data) => data?.organization?.team?.[field],
});

export const EXTRA_OPERATIONS: Record<string, OperationCase> = {
  "Query.stack": {
    request: (w) => ({ query: "query ($ref: StackRef!) { stack(ref: $ref) { id viewerPermission } }", variables: { ref: stackRef(w) } }),
    result: (d) => d?.stack,
  },
  "Query.stackUpdate": {
    request: async (w) => ({
      query: "query ($id: ID!) { stackUpdate(id: $id) { version status startedBy { kind name } stack { fullyQualifiedName } } }",
      variables: { id: await worldUpdateId(w) },
    }),
    result: (d) => d?.stackUpdate,
  },
  "Query.personalAccessTokensConnection": {
    request: () => ({ query: "{ personalAccessTokensConnection(includeDeleted: true) { totalCount nodes { id deletedAt } } }" }),
    result: (d) => d?.personalAccessTokensConnection,
  },
  "Organization.teamsConnection": orgField("teamsConnection", "teamsConnection { totalCount nodes { name } }"),
  "Team.membersConnection": teamField("membersConnection", "membersConnection { totalCount nodes { login } }"),
  "Team.stackGrantsConnection": teamField(
    "stackGrantsConnection",
    "stackGrantsConnection { totalCount nodes { permission stack { name } } }",
  ),
  "Organization.accessTokensConnection": orgField(
    "accessTokensConnection",
    "accessTokensConnection(includeDeleted: true) { totalCount nodes { name } }",
  ),
  "Organization.webhooksConnection": orgField("webhooksConnection", "webhooksConnection { totalCount nodes { name } }"),
  "Organization.auditLogEventsConnection": orgField(
    "auditLogEventsConnection",
    "auditLogEventsConnection(first: 5) { totalCount nodes { event eventType } }",
  ),
  "Mutation.completeStackUpdate (kind UPDATE)": mutation(
    "completeStackUpdate",
    "mutation ($id: ID!) { completeStackUpdate(input: { updateId: $id, outcome: SUCCEEDED }) { status } }",
    async (w) => ({ id: await runningUpdate(w) }),
  ),
  "Mutation.cancelStackUpdate (kind UPDATE)": mutation(
    "cancelStackUpdate",
    "mutation ($id: ID!) { cancelStackUpdate(input: { updateId: $id }) { status } }",
    async (w) => ({ id: await runningUpdate(w) }),
  ),
  "Mutation.revokePersonalAccessToken": mutation(
    "revokePersonalAccessToken",
    "mutation ($id: ID!) { revokePersonalAccessToken(input: { id: $id }) { id deletedAt } }",
    async (w, as) => {
      const user = w.userOf(as) ?? w.admin;
      return { id: (await w.server.app.services.tokens.createPersonal(user.caller, { description: "to revoke" })).row.id };
    },
  ),
  "Mutation.revokeOrganizationAccessToken": mutation(
    "revokeOrganizationAccessToken",
    "mutation ($org: String!, $id: ID!) { revokeOrganizationAccessToken(input: { organization: $org, id: $id }) { name deletedAt } }",
    async (w) => ({
      org: w.org.name,
      id: (
        await w.server.app.services.tokens.createForOrganization(w.admin.caller, w.org.organization, {
          organization: w.org.name,
          name: uniqueName("rev"),
        })
      ).row.id,
    }),
  ),
  "Mutation.setTeamStackGrant": mutation(
    "setTeamStackGrant",
    "mutation ($stack: StackRef!, $team: String!) { setTeamStackGrant(input: { stack: $stack, team: $team, permission: WRITE }) { name } }",
    async (w) => ({ stack: stackRef(w), team: (await createTeam(w.server, w.org)).name }),
  ),
  "Mutation.removeTeamStackGrant": mutation(
    "removeTeamStackGrant",
    "mutation ($stack: StackRef!, $team: String!) { removeTeamStackGrant(input: { stack: $stack, team: $team }) { name } }",
    async (w) => {
      const team = (await createTeam(w.server, w.org)).name;
      await grant(w.server, w.org, team, w.stack, "READ");
      return { stack: stackRef(w), team };
    },
  ),
};
