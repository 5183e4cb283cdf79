// THE permission map: every Query, Mutation and guarded object field names the rule that
// admits its caller. It reads like ../shared/contract/permissions.json; nothing else in
// the code decides who may call what. fallbackRule: deny — a field missing here is refused.
// Object types reached only through a guarded parent are `allow`: holding the parent is
// the permission (Query.organization returns null to outsiders, so an Organization in
// hand means the caller is in it).
import { allow, chain, deny, rule, shield } from "graphql-shield";
import type { IRule, IRules } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import { ForbiddenError } from "../errors.js";
import { organizationTokensEnabled } from "../modules/organizations/subscription.js";
import {
  isAuthenticated,
  isInOrganization,
  isOrgAdmin,
  isSiteAdmin,
  isUser,
  ORGANIZATION_ARGUMENT,
  ORGANIZATION_IN_INPUT,
  type OrganizationSelector,
  PARENT_ORGANIZATION,
} from "./rules.js";

const memo = new Map<string, IRule>();

/** The organization's subscription includes organization access tokens (not audited: not a role refusal). */
const hasOrgTokenSubscription = (selector: OrganizationSelector): IRule => {
  const name = `hasOrgTokenSubscription(${selector.label})`;
  const built: IRule =
    memo.get(name) ??
    rule(name)((parent, args, ctx: Context) => {
      const { organization } = ctx.access.organization(selector.pick(parent, args));
      return (
        (organization !== null && organizationTokensEnabled(organization)) ||
        new ForbiddenError("organization access tokens need the ENTERPRISE_GROWTH or BUSINESS_CRITICAL subscription")
      );
    });
  memo.set(name, built);
  return built;
};

const inInput = ORGANIZATION_IN_INPUT;
const parent = PARENT_ORGANIZATION;

export const permissionRules = {
  Query: {
    viewer: isAuthenticated,
    // Null for outsiders rather than an error: the resolver answers from the Access memo.
    organization: isAuthenticated,
    personalAccessTokens: isUser,
  },
  Mutation: {
    // site administration
    createUser: isSiteAdmin,
    setOrganizationSubscription: isSiteAdmin,
    // organizations and members
    createOrganization: isUser,
    updateOrganizationSettings: isOrgAdmin(inInput),
    addOrganizationMember: isOrgAdmin(inInput),
    removeOrganizationMember: isOrgAdmin(inInput),
    updateOrganizationMemberRole: isOrgAdmin(inInput),
    // personal access tokens: a user's own
    createPersonalAccessToken: isUser,
    deletePersonalAccessToken: isUser,
    // organization access tokens: console-only, admins (users) only
    createOrganizationAccessToken: chain(isOrgAdmin(inInput), hasOrgTokenSubscription(inInput)),
    deleteOrganizationAccessToken: isOrgAdmin(ORGANIZATION_ARGUMENT),
  },
  Organization: {
    "*": allow,
    members: isInOrganization(parent),
    accessTokens: isOrgAdmin(parent),
  },
  OrganizationSubscription: allow,
  OrganizationMembership: allow,
  OrganizationMember: allow,
  OrganizationMemberConnection: allow,
  PageInfo: allow,
  // User.email: allowed here; the resolver shows it only to the user, admins of a shared
  // organization and site admins (null otherwise), see src/permissions/visibility.ts.
  User: allow,
  Viewer: allow,
  PersonalAccessToken: allow,
  OrganizationAccessToken: allow,
  CreateUserPayload: allow,
  CreatePersonalAccessTokenPayload: allow,
  CreateOrganizationAccessTokenPayload: allow,
} satisfies IRules;

export const permissions = shield(permissionRules, {
  fallbackRule: deny,
  allowExternalErrors: true,
  fallbackError: () => new ForbiddenError("you are not allowed to do this"),
});
