// The audit event ids of CONTRACT.md §5 and the flags each carries: requireOrgAdmin when
// the operation needs an organization admin (or an organization token, which the seed
// matrix lets do admin-level work such as creating teams and webhooks), requireStackAdmin
// when it needs ADMIN on the stack. The schema lists them as the AuditEventType enum
// (organization-token-created → ORGANIZATION_TOKEN_CREATED), with these descriptions.
export const AUDIT_EVENTS = {
  "organization-created": { requireOrgAdmin: false, requireStackAdmin: false, description: "An organization was created." },
  "organization-settings-changed": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "An organization's display name or default stack permission changed.",
  },
  "subscription-changed": {
    requireOrgAdmin: false,
    requireStackAdmin: false,
    description: "A site admin changed the organization's subscription.",
  },
  "member-added": { requireOrgAdmin: true, requireStackAdmin: false, description: "A user was added to the organization." },
  "member-removed": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "A user was removed from the organization (and its teams).",
  },
  "member-role-changed": { requireOrgAdmin: true, requireStackAdmin: false, description: "A member's role changed." },
  "team-created": { requireOrgAdmin: true, requireStackAdmin: false, description: "A team was created." },
  "team-deleted": { requireOrgAdmin: true, requireStackAdmin: false, description: "A team was deleted." },
  "team-membership-changed": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "Members were added to or removed from a team.",
  },
  "team-stack-permission-granted": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "A team was granted (or re-granted) a permission on a stack.",
  },
  "team-stack-permission-revoked": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "A team's grant on a stack was removed.",
  },
  "organization-token-created": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "An organization access token was created.",
  },
  "organization-token-deleted": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "An organization access token was revoked.",
  },
  "stack-created": { requireOrgAdmin: false, requireStackAdmin: false, description: "A stack was created." },
  "stack-deleted": { requireOrgAdmin: false, requireStackAdmin: true, description: "A stack was deleted." },
  "stack-transferred-to-organization": {
    requireOrgAdmin: false,
    requireStackAdmin: true,
    description: "A stack left this organization for another.",
  },
  "stack-transferred-from-organization": {
    requireOrgAdmin: false,
    requireStackAdmin: true,
    description: "A stack arrived from another organization.",
  },
  "stack-tag-set": { requireOrgAdmin: false, requireStackAdmin: false, description: "A stack tag was set." },
  "stack-tag-deleted": { requireOrgAdmin: false, requireStackAdmin: false, description: "A stack tag was deleted." },
  "stack-exported": { requireOrgAdmin: false, requireStackAdmin: false, description: "A stack's state was read." },
  "stack-imported": { requireOrgAdmin: false, requireStackAdmin: false, description: "A stack's state was replaced by an import." },
  "stack-update-started": {
    requireOrgAdmin: false,
    requireStackAdmin: false,
    description: "An update (of any kind, previews included) started.",
  },
  "stack-update-completed": { requireOrgAdmin: false, requireStackAdmin: false, description: "An update ended as SUCCEEDED or FAILED." },
  "stack-update-canceled": { requireOrgAdmin: false, requireStackAdmin: false, description: "An update was cancelled." },
  "webhook-created": { requireOrgAdmin: true, requireStackAdmin: false, description: "A webhook was created." },
  "webhook-updated": { requireOrgAdmin: true, requireStackAdmin: false, description: "A webhook was changed." },
  "webhook-deleted": { requireOrgAdmin: true, requireStackAdmin: false, description: "A webhook was deleted." },
  "webhook-pinged": { requireOrgAdmin: true, requireStackAdmin: false, description: "A webhook was pinged." },
  "audit-log-exported": { requireOrgAdmin: true, requireStackAdmin: false, description: "The audit log was exported." },
  "auth-failure-organization-role": {
    requireOrgAdmin: true,
    requireStackAdmin: false,
    description: "A member or token was refused an operation for lack of an organization role.",
  },
  "auth-failure-stack-permission": {
    requireOrgAdmin: false,
    requireStackAdmin: false,
    description: "A member or token was refused an operation for lack of a stack permission.",
  },
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
