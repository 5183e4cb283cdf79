// The closed value lists of the data model, shared by the SQLite schema (./schema.ts) and the
// PostgreSQL schema (./postgres/schema.ts): both store them as text, so the row types agree.

export const ORGANIZATION_ROLES = ["ADMIN", "MEMBER", "BILLING_MANAGER"] as const;
export type OrganizationRoleValue = (typeof ORGANIZATION_ROLES)[number];

export const SUBSCRIPTION_TIERS = ["INDIVIDUAL", "TEAM", "ENTERPRISE_GROWTH", "BUSINESS_CRITICAL"] as const;
export type SubscriptionTierValue = (typeof SUBSCRIPTION_TIERS)[number];

export const STACK_PERMISSIONS = ["NONE", "READ", "WRITE", "ADMIN"] as const;
export type StackPermissionValue = (typeof STACK_PERMISSIONS)[number];

export const UPDATE_KINDS = ["UPDATE", "PREVIEW", "REFRESH", "DESTROY", "IMPORT"] as const;
export type UpdateKindValue = (typeof UPDATE_KINDS)[number];

export const UPDATE_STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type UpdateStatusValue = (typeof UPDATE_STATUSES)[number];

export const WEBHOOK_FORMATS = ["RAW", "SLACK", "MS_TEAMS"] as const;
export type WebhookFormatValue = (typeof WEBHOOK_FORMATS)[number];

export const TOKEN_KINDS = ["PERSONAL", "ORGANIZATION"] as const;
export type TokenKindValue = (typeof TOKEN_KINDS)[number];

export const OUTBOX_STATES = ["PENDING", "DELIVERED", "FAILED"] as const;
export type OutboxStateValue = (typeof OUTBOX_STATES)[number];

/** The counts of a stack update, stored as JSON. */
export interface ResourceChangesValue {
  create: number;
  update: number;
  delete: number;
  same: number;
  replace: number;
}
