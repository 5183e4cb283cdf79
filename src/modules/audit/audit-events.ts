// The audit event ids of CONTRACT.md §5 and the flags each carries: requireOrgAdmin when
// the operation needs an organization admin (or an organization token, which the seed
// matrix lets do admin-level work such as creating teams and webhooks), requireStackAdmin
// when it needs ADMIN on the stack.
export const AUDIT_EVENTS = {
  "organization-created": { requireOrgAdmin: false, requireStackAdmin: false },
  "organization-settings-changed": { requireOrgAdmin: true, requireStackAdmin: false },
  "subscription-changed": { requireOrgAdmin: false, requireStackAdmin: false },
  "member-added": { requireOrgAdmin: true, requireStackAdmin: false },
  "member-removed": { requireOrgAdmin: true, requireStackAdmin: false },
  "member-role-changed": { requireOrgAdmin: true, requireStackAdmin: false },
  "team-created": { requireOrgAdmin: true, requireStackAdmin: false },
  "team-deleted": { requireOrgAdmin: true, requireStackAdmin: false },
  "team-membership-changed": { requireOrgAdmin: true, requireStackAdmin: false },
  "team-stack-permission-granted": { requireOrgAdmin: true, requireStackAdmin: false },
  "team-stack-permission-revoked": { requireOrgAdmin: true, requireStackAdmin: false },
  "organization-token-created": { requireOrgAdmin: true, requireStackAdmin: false },
  "organization-token-deleted": { requireOrgAdmin: true, requireStackAdmin: false },
  "stack-created": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-deleted": { requireOrgAdmin: false, requireStackAdmin: true },
  "stack-transferred-to-organization": { requireOrgAdmin: false, requireStackAdmin: true },
  "stack-transferred-from-organization": { requireOrgAdmin: false, requireStackAdmin: true },
  "stack-tag-set": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-tag-deleted": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-exported": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-imported": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-update-started": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-update-completed": { requireOrgAdmin: false, requireStackAdmin: false },
  "stack-update-canceled": { requireOrgAdmin: false, requireStackAdmin: false },
  "webhook-created": { requireOrgAdmin: true, requireStackAdmin: false },
  "webhook-updated": { requireOrgAdmin: true, requireStackAdmin: false },
  "webhook-deleted": { requireOrgAdmin: true, requireStackAdmin: false },
  "webhook-pinged": { requireOrgAdmin: true, requireStackAdmin: false },
  "audit-log-exported": { requireOrgAdmin: true, requireStackAdmin: false },
  "auth-failure-organization-role": { requireOrgAdmin: true, requireStackAdmin: false },
  "auth-failure-stack-permission": { requireOrgAdmin: false, requireStackAdmin: false },
} as const satisfies Record<string, { requireOrgAdmin: boolean; requireStackAdmin: boolean }>;

export type AuditEventId = keyof typeof AUDIT_EVENTS;
export const AUDIT_EVENT_IDS = Object.keys(AUDIT_EVENTS) as AuditEventId[];
