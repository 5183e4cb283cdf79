// How to call each operation of ../shared/contract/permissions.json, as any principal.
// `request` may create what the call needs (a target member, a token to delete…) and
// `result` picks the part of `data` that is null when the call was refused.
import { addMember, createStack, createTeam, createUser, grant, startUpdate, uniqueName } from "./factories.js";
import type { PrincipalName, World } from "./world.js";

/** A variable's value: anything JSON can carry, never a promise (an un-awaited factory call fails the type check). */
export type VariableValue =
  string | number | boolean | null | undefined | readonly unknown[] | ({ readonly [key: string]: unknown } & { then?: never });
export type Variables = Record<string, VariableValue>;

export interface OperationRequest {
  query: string;
  variables?: Variables;
}

export interface OperationCase {
  request(world: World, as: PrincipalName): OperationRequest | Promise<OperationRequest>;
  result(data: any): unknown;
}

const ORG_FIELD = (selection: string) => `query ($org: String!) { organization(name: $org) { ${selection} } }`;

const orgField = (field: string, selection: string): OperationCase => ({
  request: (w) => ({ query: ORG_FIELD(selection), variables: { org: w.org.name } }),
  result: (data) => data?.organization?.[field],
});

export const mutation = (
  field: string,
  query: string,
  variables: (w: World, as: PrincipalName) => Variables | Promise<Variables>,
): OperationCase => ({
  request: async (w, as) => ({ query, variables: await variables(w, as) }),
  result: (data) => data?.[field],
});

const STACK_FIELD = (selection: string) =>
  `query ($org: String!, $project: String!, $stack: String!) { organization(name: $org) { stack(project: $project, name: $stack) { ${selection} } } }`;

/** A field of the world's stack, read through Query.organization and Organization.stack. */
const stackField = (selection: string, pick: (stack: any) => unknown): OperationCase => ({
  request: (w) => ({
    query: STACK_FIELD(selection),
    variables: { org: w.org.name, project: w.stack.project, stack: w.stack.stack },
  }),
  result: (data) => pick(data?.organization?.stack),
});

export const stackRef = (w: World, stack = w.stack) => ({ organization: w.org.name, project: stack.project, stack: stack.stack });

/** A running update of kind UPDATE, started by the admin. */
export const runningUpdate = async (w: World) => (await startUpdate(w.server, w.org, await createStack(w.server, w.org), "UPDATE")).id;

/** A personal token the caller owns when it is a user, else one of the admin's. */
async function ownPersonalToken(w: World, as: PrincipalName): Promise<string> {
  const user = w.userOf(as) ?? w.admin;
  return (await w.server.app.services.tokens.createPersonal(user.caller, { description: "to delete" })).row.id;
}

export const OPERATIONS: Record<string, OperationCase> = {
  "Query.viewer": { request: () => ({ query: "{ viewer { kind tokenId } }" }), result: (d) => d?.viewer },
  "Query.organization": {
    request: (w) => ({ query: ORG_FIELD("id"), variables: { org: w.org.name } }),
    result: (d) => d?.organization,
  },
  "Query.personalAccessTokens": {
    request: () => ({ query: "{ personalAccessTokens { id } }" }),
    result: (d) => d?.personalAccessTokens,
  },
  "Organization.members": orgField("members", "members { totalCount nodes { role user { login } } }"),
  "Organization.accessTokens": orgField("accessTokens", "accessTokens { id name }"),

  "Mutation.createUser": mutation(
    "createUser",
    "mutation ($login: String!) { createUser(input: { login: $login }) { user { id } secret } }",
    () => ({ login: uniqueName("new") }),
  ),
  "Mutation.setOrganizationSubscription": mutation(
    "setOrganizationSubscription",
    "mutation ($org: String!) { setOrganizationSubscription(input: { organization: $org, tier: BUSINESS_CRITICAL }) { id } }",
    (w) => ({ org: w.org.name }),
  ),
  "Mutation.createOrganization": mutation(
    "createOrganization",
    "mutation ($name: String!) { createOrganization(input: { name: $name }) { id viewerRole } }",
    () => ({ name: uniqueName("neworg") }),
  ),
  "Mutation.updateOrganizationSettings": mutation(
    "updateOrganizationSettings",
    'mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "Renamed" }) { id } }',
    (w) => ({ org: w.org.name }),
  ),
  "Mutation.addOrganizationMember": mutation(
    "addOrganizationMember",
    "mutation ($org: String!, $login: String!) { addOrganizationMember(input: { organization: $org, login: $login }) { role } }",
    async (w) => ({ org: w.org.name, login: (await createUser(w.server)).user.login }),
  ),
  "Mutation.removeOrganizationMember": mutation(
    "removeOrganizationMember",
    "mutation ($org: String!, $login: String!) { removeOrganizationMember(input: { organization: $org, login: $login }) }",
    async (w) => ({ org: w.org.name, login: (await addMember(w.server, w.org)).user.login }),
  ),
  "Mutation.updateOrganizationMemberRole": mutation(
    "updateOrganizationMemberRole",
    "mutation ($org: String!, $login: String!) { updateOrganizationMemberRole(input: { organization: $org, login: $login, role: ADMIN }) { role } }",
    async (w) => ({ org: w.org.name, login: (await addMember(w.server, w.org)).user.login }),
  ),
  "Mutation.createPersonalAccessToken": mutation(
    "createPersonalAccessToken",
    'mutation { createPersonalAccessToken(input: { description: "matrix" }) { token { id } secret } }',
    () => ({}),
  ),
  "Mutation.deletePersonalAccessToken": mutation(
    "deletePersonalAccessToken",
    "mutation ($id: ID!) { deletePersonalAccessToken(id: $id) }",
    async (w, as) => ({ id: await ownPersonalToken(w, as) }),
  ),
  "Mutation.createOrganizationAccessToken": mutation(
    "createOrganizationAccessToken",
    "mutation ($org: String!, $name: String!) { createOrganizationAccessToken(input: { organization: $org, name: $name }) { token { id } secret } }",
    (w) => ({ org: w.org.name, name: uniqueName("tok") }),
  ),
  "Mutation.deleteOrganizationAccessToken": mutation(
    "deleteOrganizationAccessToken",
    "mutation ($org: String!, $id: ID!) { deleteOrganizationAccessToken(organization: $org, id: $id) }",
    async (w) => ({
      org: w.org.name,
      id: (
        await w.server.app.services.tokens.createForOrganization(w.admin.caller, w.org.organization, {
          organization: w.org.name,
          name: uniqueName("del"),
        })
      ).row.id,
    }),
  ),

  // ---------------------------------------------------------------- stacks, tags, updates
  "Organization.stacks": orgField("stacks", "stacks { totalCount nodes { id viewerPermission } }"),
  "Organization.stack": stackField("id", (stack) => stack),
  "Stack.state": stackField("state", (stack) => stack?.state),
  "Stack.tags": stackField("tags { name value }", (stack) => stack?.tags),
  "Stack.updates": stackField("updates { totalCount nodes { version } }", (stack) => stack?.updates),
  "Stack.previews": stackField("previews { totalCount }", (stack) => stack?.previews),
  "Stack.update": stackField("update(version: 1) { status }", (stack) => stack?.update),
  "StackUpdate.events": stackField("update(version: 1) { events { totalCount } }", (stack) => stack?.update?.events),
  "Mutation.createStack": mutation(
    "createStack",
    'mutation ($org: String!, $name: String!) { createStack(input: { organization: $org, project: "app", stack: $name }) { id viewerPermission } }',
    (w) => ({ org: w.org.name, name: uniqueName("s") }),
  ),
  "Mutation.deleteStack": mutation("deleteStack", "mutation ($stack: StackRef!) { deleteStack(input: { stack: $stack }) }", async (w) => ({
    stack: stackRef(w, await createStack(w.server, w.org)),
  })),
  "Mutation.transferStack": mutation(
    "transferStack",
    "mutation ($stack: StackRef!, $to: String!) { transferStack(input: { stack: $stack, destinationOrganization: $to }) { fullyQualifiedName } }",
    async (w) => ({ stack: stackRef(w, await createStack(w.server, w.org)), to: w.destination.name }),
  ),
  "Mutation.setStackTag": mutation(
    "setStackTag",
    'mutation ($stack: StackRef!) { setStackTag(input: { stack: $stack, name: "owner", value: "platform" }) { name value } }',
    (w) => ({ stack: stackRef(w) }),
  ),
  "Mutation.deleteStackTag": mutation(
    "deleteStackTag",
    'mutation ($stack: StackRef!) { deleteStackTag(input: { stack: $stack, name: "env" }) }',
    (w) => ({ stack: stackRef(w) }),
  ),
  "Mutation.importStackState": mutation(
    "importStackState",
    'mutation ($stack: StackRef!) { importStackState(input: { stack: $stack, state: { deployment: { resources: [{ urn: "u" }] } } }) { resourceCount } }',
    (w) => ({ stack: stackRef(w) }),
  ),
  "Mutation.startUpdate (kind UPDATE)": mutation(
    "startUpdate",
    "mutation ($stack: StackRef!) { startUpdate(input: { stack: $stack, kind: UPDATE }) { version status } }",
    (w) => ({ stack: stackRef(w) }),
  ),
  "Mutation.startUpdate (kind PREVIEW)": mutation(
    "startUpdate",
    "mutation ($stack: StackRef!) { startUpdate(input: { stack: $stack, kind: PREVIEW }) { version status } }",
    (w) => ({ stack: stackRef(w) }),
  ),
  "Mutation.appendUpdateEvents (kind UPDATE)": mutation(
    "appendUpdateEvents",
    'mutation ($id: ID!) { appendUpdateEvents(input: { updateId: $id, events: [{ sequence: 0, type: "stdoutEvent", payload: { message: "hi" } }] }) }',
    async (w) => ({ id: await runningUpdate(w) }),
  ),
  "Mutation.completeUpdate (kind UPDATE)": mutation(
    "completeUpdate",
    "mutation ($id: ID!) { completeUpdate(input: { updateId: $id, status: SUCCEEDED }) { status } }",
    async (w) => ({ id: await runningUpdate(w) }),
  ),
  "Mutation.cancelUpdate (kind UPDATE)": mutation(
    "cancelUpdate",
    "mutation ($id: ID!) { cancelUpdate(updateId: $id) { status } }",
    async (w) => ({ id: await runningUpdate(w) }),
  ),
  // ---------------------------------------------------------------- teams
  "Organization.teams": orgField("teams", "teams { name }"),
  "Organization.team": {
    request: async (w) => ({
      query: "query ($org: String!, $team: String!) { organization(name: $org) { team(name: $team) { name members { login } } } }",
      variables: { org: w.org.name, team: (await createTeam(w.server, w.org)).name },
    }),
    result: (data) => data?.organization?.team,
  },
  "Mutation.createTeam": mutation(
    "createTeam",
    "mutation ($org: String!, $name: String!) { createTeam(input: { organization: $org, name: $name }) { id } }",
    (w) => ({ org: w.org.name, name: uniqueName("t") }),
  ),
  "Mutation.deleteTeam": mutation(
    "deleteTeam",
    "mutation ($org: String!, $name: String!) { deleteTeam(input: { organization: $org, name: $name }) }",
    async (w) => ({ org: w.org.name, name: (await createTeam(w.server, w.org)).name }),
  ),
  "Mutation.updateTeamMembership": mutation(
    "updateTeamMembership",
    "mutation ($org: String!, $team: String!, $login: String!) { updateTeamMembership(input: { organization: $org, team: $team, addLogins: [$login] }) { members { login } } }",
    async (w) => ({ org: w.org.name, team: (await createTeam(w.server, w.org)).name, login: w.member.user.login }),
  ),
  "Mutation.grantTeamStackAccess": mutation(
    "grantTeamStackAccess",
    "mutation ($org: String!, $team: String!, $project: String!, $stack: String!) { grantTeamStackAccess(input: { organization: $org, team: $team, project: $project, stack: $stack, permission: WRITE }) { stackGrants { permission } } }",
    async (w) => ({ org: w.org.name, team: (await createTeam(w.server, w.org)).name, project: w.stack.project, stack: w.stack.stack }),
  ),
  "Mutation.revokeTeamStackAccess": mutation(
    "revokeTeamStackAccess",
    "mutation ($org: String!, $team: String!, $project: String!, $stack: String!) { revokeTeamStackAccess(input: { organization: $org, team: $team, project: $project, stack: $stack }) { name } }",
    async (w) => {
      const team = (await createTeam(w.server, w.org)).name;
      await grant(w.server, w.org, team, w.stack, "READ");
      return { org: w.org.name, team, project: w.stack.project, stack: w.stack.stack };
    },
  ),
  // ---------------------------------------------------------------- webhooks
  // Loopback URLs only; the matrix server keeps the SSRF guard on, so a ping is refused
  // at connect time and nothing is sent anywhere.
  "Mutation.createWebhook": mutation(
    "createWebhook",
    'mutation ($org: String!, $name: String!) { createWebhook(input: { organization: $org, name: $name, payloadUrl: "http://127.0.0.1:9/hook" }) { id } }',
    (w) => ({ org: w.org.name, name: uniqueName("wh").slice(0, 32) }),
  ),
  "Mutation.updateWebhook": mutation(
    "updateWebhook",
    "mutation ($org: String!, $name: String!) { updateWebhook(input: { organization: $org, name: $name, active: false }) { active } }",
    async (w) => ({ org: w.org.name, name: await worldWebhook(w) }),
  ),
  "Mutation.deleteWebhook": mutation(
    "deleteWebhook",
    "mutation ($org: String!, $name: String!) { deleteWebhook(input: { organization: $org, name: $name }) }",
    async (w) => ({ org: w.org.name, name: await worldWebhook(w) }),
  ),
  "Mutation.pingWebhook": mutation(
    "pingWebhook",
    "mutation ($org: String!, $name: String!) { pingWebhook(input: { organization: $org, name: $name }) { kind error } }",
    async (w) => ({ org: w.org.name, name: await worldWebhook(w) }),
  ),
  "Organization.webhooks": orgField("webhooks", "webhooks { name hasSecret }"),
  "Organization.webhook": {
    request: async (w) => ({
      query: "query ($org: String!, $name: String!) { organization(name: $org) { webhook(name: $name) { name } } }",
      variables: { org: w.org.name, name: await worldWebhook(w) },
    }),
    result: (data) => data?.organization?.webhook,
  },
  "Webhook.deliveries": {
    request: async (w) => ({
      query: "query ($org: String!, $name: String!) { organization(name: $org) { webhook(name: $name) { deliveries { totalCount } } } }",
      variables: { org: w.org.name, name: await worldWebhook(w) },
    }),
    result: (data) => data?.organization?.webhook?.deliveries,
  },
  // ---------------------------------------------------------------- audit log
  "Organization.auditLogEvents": orgField("auditLogEvents", "auditLogEvents(first: 5) { totalCount nodes { event } }"),
  "Organization.exportAuditLogEvents": orgField("exportAuditLogEvents", "exportAuditLogEvents(format: CSV) { eventCount }"),
};

/** A webhook of the world's organization, created by its admin (pointing at loopback). */
async function worldWebhook(w: World): Promise<string> {
  const name = uniqueName("wh").slice(0, 32);
  await w.server.app.services.webhooks.create(w.admin.caller, w.org.organization, {
    organization: w.org.name,
    name,
    payloadUrl: "http://127.0.0.1:9/hook",
  });
  return name;
}
