// THE permission map: every Query, Mutation and guarded object field names the rule that
// admits its caller. It reads like ../shared/contract/permissions.json; nothing else in
// the code decides who may call what. fallbackRule: deny — a field missing here is refused.
// Object types reached only through a guarded parent are `allow`: holding the parent is
// the permission (Query.organization returns null to outsiders, so an Organization in
// hand means the caller is in it).
import { allow, chain, deny, or, shield } from "graphql-shield";
import type { IRules } from "graphql-shield";
import { ForbiddenError } from "../errors.js";
import {
  canAdminStack,
  canCreateStacks,
  canReadAuditLog,
  canReadParentStack,
  canReadParentUpdate,
  canRunUpdate,
  canStartUpdateOfKind,
  canWriteStack,
  DESTINATION_ORGANIZATION,
  hasOrgTokenSubscription,
  isAuthenticated,
  isInOrganization,
  isOrgAdmin,
  isOrgToken,
  isSiteAdmin,
  isUser,
  ORGANIZATION_ARGUMENT,
  ORGANIZATION_IN_INPUT,
  ORGANIZATION_OF_STACK_IN_INPUT,
  PARENT_ORGANIZATION,
  STACK_IN_INPUT,
  STACK_OF_UPDATE,
} from "./rules.js";

const inInput = ORGANIZATION_IN_INPUT;
const parent = PARENT_ORGANIZATION;
const stackInInput = STACK_IN_INPUT;

/** Listing, reading and pinging webhooks: org admins and org tokens (seed matrix). */
const canUseWebhooks = or(isOrgAdmin(parent), isOrgToken(parent));

export const permissionRules = {
  Query: {
    viewer: isAuthenticated,
    // Null for outsiders rather than an error: the resolver answers from the Access memo.
    organization: isAuthenticated,
    // Null when the caller cannot READ it (or is not in its organization), as for organization.
    stack: isAuthenticated,
    stackUpdate: isAuthenticated,
    personalAccessTokens: isUser,
    personalAccessTokensConnection: isUser,
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
    revokePersonalAccessToken: isUser,
    // organization access tokens: console-only, admins (users) only
    createOrganizationAccessToken: chain(isOrgAdmin(inInput), hasOrgTokenSubscription(inInput)),
    deleteOrganizationAccessToken: isOrgAdmin(ORGANIZATION_ARGUMENT),
    revokeOrganizationAccessToken: isOrgAdmin(inInput),
    // teams: the seed matrix lets org tokens create and delete them, nothing more
    createTeam: or(isOrgAdmin(inInput), isOrgToken(inInput)),
    deleteTeam: or(isOrgAdmin(inInput), isOrgToken(inInput)),
    updateTeamMembership: isOrgAdmin(inInput),
    grantTeamStackAccess: isOrgAdmin(inInput),
    revokeTeamStackAccess: isOrgAdmin(inInput),
    setTeamStackGrant: isOrgAdmin(ORGANIZATION_OF_STACK_IN_INPUT),
    removeTeamStackGrant: isOrgAdmin(ORGANIZATION_OF_STACK_IN_INPUT),
    // stacks: effective stack permission (src/permissions/stack-permission.ts)
    createStack: canCreateStacks(inInput),
    deleteStack: or(canAdminStack(stackInInput), isOrgToken(ORGANIZATION_OF_STACK_IN_INPUT)),
    transferStack: chain(canAdminStack(stackInInput), canCreateStacks(DESTINATION_ORGANIZATION)),
    setStackTag: canWriteStack(stackInInput),
    deleteStackTag: canWriteStack(stackInInput),
    importStackState: canWriteStack(stackInInput),
    // updates: PREVIEW needs READ, every other kind WRITE
    startUpdate: canStartUpdateOfKind(stackInInput),
    appendUpdateEvents: canRunUpdate(STACK_OF_UPDATE),
    completeUpdate: canRunUpdate(STACK_OF_UPDATE),
    completeStackUpdate: canRunUpdate(STACK_OF_UPDATE),
    cancelUpdate: canRunUpdate(STACK_OF_UPDATE),
    cancelStackUpdate: canRunUpdate(STACK_OF_UPDATE),
    // webhooks: org tokens may create and ping them (seed matrix), only admins change or delete them
    createWebhook: or(isOrgAdmin(inInput), isOrgToken(inInput)),
    pingWebhook: or(isOrgAdmin(inInput), isOrgToken(inInput)),
    updateWebhook: isOrgAdmin(inInput),
    deleteWebhook: isOrgAdmin(inInput),
  },
  Organization: {
    "*": allow,
    members: isInOrganization(parent),
    accessTokens: isOrgAdmin(parent),
    accessTokensConnection: isOrgAdmin(parent),
    // lists show only what the caller can READ; Organization.stack is null otherwise
    stacks: isInOrganization(parent),
    stack: isInOrganization(parent),
    teams: isInOrganization(parent),
    teamsConnection: isInOrganization(parent),
    team: isInOrganization(parent),
    // also the permission of GET /api/orgs/{org}/auditlogs/export (src/http/audit-export-route.ts)
    auditLogEvents: canReadAuditLog(parent),
    auditLogEventsConnection: canReadAuditLog(parent),
    exportAuditLogEvents: canReadAuditLog(parent),
    webhooks: canUseWebhooks,
    webhooksConnection: canUseWebhooks,
    webhook: canUseWebhooks,
  },
  // A Stack object is only handed to callers who can READ it; it carries their permission.
  Stack: {
    "*": allow,
    state: canReadParentStack,
    tags: canReadParentStack,
    updates: canReadParentStack,
    previews: canReadParentStack,
    update: canReadParentStack,
  },
  StackConnection: allow,
  StackTag: allow,
  // A StackUpdate is only handed to callers who can READ its stack (its `stack` carries their permission).
  StackUpdate: {
    "*": allow,
    events: canReadParentUpdate,
  },
  Actor: allow,
  StackUpdateConnection: allow,
  ResourceChanges: allow,
  UpdateEvent: allow,
  UpdateEventConnection: allow,
  AuditLogEvent: allow,
  AuditLogEventConnection: allow,
  AuditLogUser: allow,
  AuditLogExport: allow,
  // A Webhook object is only handed to org admins and tokens (Organization.webhook(s), the mutations).
  Webhook: allow,
  WebhookDelivery: allow,
  WebhookDeliveryConnection: allow,
  WebhookConnection: allow,
  Team: allow,
  TeamConnection: allow,
  TeamMemberConnection: allow,
  TeamStackGrantConnection: allow,
  // TeamStackGrant.stack: allowed here; the resolver returns null when the caller cannot READ it.
  TeamStackGrant: allow,
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
  PersonalAccessTokenConnection: allow,
  OrganizationAccessToken: allow,
  OrganizationAccessTokenConnection: allow,
  CreateUserPayload: allow,
  CreatePersonalAccessTokenPayload: allow,
  CreateOrganizationAccessTokenPayload: allow,
} satisfies IRules;

/** The rule shield applies to `typeName.fieldName`: the field's own, the type's `*`, the type's, or deny. */
export function effectiveRule(typeName: string, fieldName: string): unknown {
  const entry = (permissionRules as Record<string, unknown>)[typeName];
  if (entry === undefined) return deny;
  if (typeof entry !== "object" || entry === null || "resolve" in entry) return entry;
  const fields = entry as Record<string, unknown>;
  return fields[fieldName] ?? fields["*"] ?? deny;
}

export const permissions = shield(permissionRules, {
  fallbackRule: deny,
  allowExternalErrors: true,
  fallbackError: () => new ForbiddenError("you are not allowed to do this"),
});
