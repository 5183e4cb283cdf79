// The audit event ids of CONTRACT.md §5 and the flags each carries: requireOrgAdmin when
// the operation needs an organization admin (or an organization token, which the seed
// matrix lets do admin-level work such as creating teams and webhooks), requireStackAdmin
// when it needs ADMIN on the stack. The schema lists them as the AuditEventType enum
// (organization-token-created → ORGANIZATION_TOKEN_CREATED), with these descriptions.

/** An event of an operation that needs an organization admin (or an organization token). */
const orgAdmin = <D extends string>(description: D) => ({ requireOrgAdmin: true, requireStackAdmin: false, description }) as const;
/** An event of an operation that needs ADMIN on the stack. */
const stackAdmin = <D extends string>(description: D) => ({ requireOrgAdmin: false, requireStackAdmin: true, description }) as const;
/** An event of an operation that needs neither. */
const unflagged = <D extends string>(description: D) => ({ requireOrgAdmin: false, requireStackAdmin: false, description }) as const;

export const AUDIT_EVENTS = {
  "organization-created": unflagged("An organization was created."),
  "organization-settings-changed": orgAdmin("An organization's display name or default stack permission changed."),
  "subscription-changed": unflagged("A site admin changed the organization's subscription."),
  "member-added": orgAdmin("A user was added to the organization."),
  "member-removed": orgAdmin("A user was removed from the organization (and its teams)."),
  "member-role-changed": orgAdmin("A member's role changed."),
  "team-created": orgAdmin("A team was created."),
  "team-deleted": orgAdmin("A team was deleted."),
  "team-membership-changed": orgAdmin("Members were added to or removed from a team."),
  "team-stack-permission-granted": orgAdmin("A team was granted (or re-granted) a permission on a stack."),
  "team-stack-permission-revoked": orgAdmin("A team's grant on a stack was removed."),
  "organization-token-created": orgAdmin("An organization access token was created."),
  "organization-token-deleted": orgAdmin("An organization access token was revoked."),
  "stack-created": unflagged("A stack was created."),
  "stack-deleted": stackAdmin("A stack was deleted."),
  "stack-transferred-to-organization": stackAdmin("A stack left this organization for another."),
  "stack-transferred-from-organization": stackAdmin("A stack arrived from another organization."),
  "stack-tag-set": unflagged("A stack tag was set."),
  "stack-tag-deleted": unflagged("A stack tag was deleted."),
  "stack-exported": unflagged("A stack's state was read."),
  "stack-imported": unflagged("A stack's state was replaced by an import."),
  "stack-update-started": unflagged("An update (of any kind, previews included) started."),
  "stack-update-completed": unflagged("An update ended as SUCCEEDED or FAILED."),
  "stack-update-canceled": unflagged("An update was cancelled."),
  "webhook-created": orgAdmin("A webhook was created."),
  "webhook-updated": orgAdmin("A webhook was changed."),
  "webhook-deleted": orgAdmin("A webhook was deleted."),
  "webhook-pinged": orgAdmin("A webhook was pinged."),
  "audit-log-exported": orgAdmin("The audit log was exported."),
  "auth-failure-organization-role": orgAdmin("A member or token was refused an operation for lack of an organization role."),
  "auth-failure-stack-permission": unflagged("A member or token was refused an operation for lack of a stack permission."),
} as const satisfies Record<string, { requireOrgAdmin: boolean; requireStackAdmin: boolean; description: string }>;

export type AuditEventId = keyof typeof AUDIT_EVENTS;
export const AUDIT_EVENT_IDS = Object.keys(AUDIT_EVENTS) as AuditEventId[];

/** An event id as a GraphQL enum value: organization-token-created → ORGANIZATION_TOKEN_CREATED. */
export const auditEventTypeOf = (id: AuditEventId): string => id.toUpperCase().replaceAll("-", "_");

/** The event id of an AuditEventType value (the inverse of auditEventTypeOf). */
export const auditEventIdOf = (type: string): AuditEventId | undefined => {
  const id = type.toLowerCase().replaceAll("_", "-");
  return Object.hasOwn(AUDIT_EVENTS, id) ? (id as AuditEventId) : undefined;
};
