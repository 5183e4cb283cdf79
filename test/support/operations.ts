// How to call each operation of ../shared/contract/permissions.json, as any principal.
// `request` may create what the call needs (a target member, a token to delete…) and
// `result` picks the part of `data` that is null when the call was refused.
import { addMember, createUser, uniqueName } from "./factories.js";
import type { PrincipalName, World } from "./world.js";

export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown>;
}

export interface OperationCase {
  request(world: World, as: PrincipalName): OperationRequest;
  result(data: any): unknown;
}

const ORG_FIELD = (selection: string) =>
  `query ($org: String!) { organization(name: $org) { ${selection} } }`;

const orgField = (field: string, selection: string): OperationCase => ({
  request: (w) => ({ query: ORG_FIELD(selection), variables: { org: w.org.name } }),
  result: (data) => data?.organization?.[field],
});

const mutation = (field: string, query: string, variables: (w: World, as: PrincipalName) => Record<string, unknown>): OperationCase => ({
  request: (w, as) => ({ query, variables: variables(w, as) }),
  result: (data) => data?.[field],
});

/** A personal token the caller owns when it is a user, else one of the admin's. */
function ownPersonalToken(w: World, as: PrincipalName): string {
  const user = w.userOf(as) ?? w.admin;
  return w.server.app.services.tokens.createPersonal(user.caller, { description: "to delete" }).row.id;
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
    "mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: \"Renamed\" }) { id } }",
    (w) => ({ org: w.org.name }),
  ),
  "Mutation.addOrganizationMember": mutation(
    "addOrganizationMember",
    "mutation ($org: String!, $login: String!) { addOrganizationMember(input: { organization: $org, login: $login }) { role } }",
    (w) => ({ org: w.org.name, login: createUser(w.server).user.login }),
  ),
  "Mutation.removeOrganizationMember": mutation(
    "removeOrganizationMember",
    "mutation ($org: String!, $login: String!) { removeOrganizationMember(input: { organization: $org, login: $login }) }",
    (w) => ({ org: w.org.name, login: addMember(w.server, w.org).user.login }),
  ),
  "Mutation.updateOrganizationMemberRole": mutation(
    "updateOrganizationMemberRole",
    "mutation ($org: String!, $login: String!) { updateOrganizationMemberRole(input: { organization: $org, login: $login, role: ADMIN }) { role } }",
    (w) => ({ org: w.org.name, login: addMember(w.server, w.org).user.login }),
  ),
  "Mutation.createPersonalAccessToken": mutation(
    "createPersonalAccessToken",
    "mutation { createPersonalAccessToken(input: { description: \"matrix\" }) { token { id } secret } }",
    () => ({}),
  ),
  "Mutation.deletePersonalAccessToken": mutation(
    "deletePersonalAccessToken",
    "mutation ($id: ID!) { deletePersonalAccessToken(id: $id) }",
    (w, as) => ({ id: ownPersonalToken(w, as) }),
  ),
  "Mutation.createOrganizationAccessToken": mutation(
    "createOrganizationAccessToken",
    "mutation ($org: String!, $name: String!) { createOrganizationAccessToken(input: { organization: $org, name: $name }) { token { id } secret } }",
    (w) => ({ org: w.org.name, name: uniqueName("tok") }),
  ),
  "Mutation.deleteOrganizationAccessToken": mutation(
    "deleteOrganizationAccessToken",
    "mutation ($org: String!, $id: ID!) { deleteOrganizationAccessToken(organization: $org, id: $id) }",
    (w) =>
      ({
        org: w.org.name,
        id: w.server.app.services.tokens.createForOrganization(w.admin.caller, w.org.organization, {
          organization: w.org.name,
          name: uniqueName("del"),
        }).row.id,
      }),
  ),
};
