// The whole data model, one table per concept of CONTRACT.md.
// Conventions: snake_case columns; times are integer milliseconds since the epoch
// (mode "timestamp_ms" maps them to Date); names that are unique "ignoring case" get a
// unique index on lower(name) (names are ASCII, so lower() folds them completely).
import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  ORGANIZATION_ROLES,
  OUTBOX_STATES,
  type ResourceChangesValue,
  STACK_PERMISSIONS,
  SUBSCRIPTION_TIERS,
  TOKEN_KINDS,
  UPDATE_KINDS,
  UPDATE_STATUSES,
  WEBHOOK_FORMATS,
} from "./values.js";

export * from "./values.js";

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull();
/** A required reference to another table's id (with `onDelete: "cascade"` the row goes with the one it references). */
const reference = <TName extends string>(name: TName, target: () => AnySQLiteColumn, actions?: { onDelete: "cascade" }) =>
  text(name).notNull().references(target, actions);

export const usersTable = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    login: text("login").notNull(),
    name: text("name"),
    email: text("email"),
    avatarUrl: text("avatar_url"),
    isSiteAdmin: integer("is_site_admin", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("users_login_unique").on(sql`lower(${t.login})`)],
);

export const organizationsTable = sqliteTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    displayName: text("display_name").notNull(),
    tier: text("tier", { enum: SUBSCRIPTION_TIERS }).notNull().default("TEAM"),
    /** Set while the subscription is a trial; null for a paid one. */
    trialEndsAt: integer("trial_ends_at", { mode: "timestamp_ms" }),
    defaultStackPermission: text("default_stack_permission", { enum: STACK_PERMISSIONS }).notNull().default("READ"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("organizations_name_unique").on(sql`lower(${t.name})`)],
);

export const membershipsTable = sqliteTable(
  "memberships",
  {
    /** Insertion order: the keyset of Organization.members, so a member joining while a client pages is listed once, last. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    organizationId: reference("organization_id", () => organizationsTable.id),
    userId: reference("user_id", () => usersTable.id),
    role: text("role", { enum: ORGANIZATION_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("memberships_member_unique").on(t.organizationId, t.userId),
    index("memberships_page_idx").on(t.organizationId, t.seq),
    index("memberships_user_idx").on(t.userId),
  ],
);

export const teamsTable = sqliteTable(
  "teams",
  {
    id: text("id").primaryKey(),
    organizationId: reference("organization_id", () => organizationsTable.id),
    name: text("name").notNull(),
    displayName: text("display_name").notNull(),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("teams_name_unique").on(t.organizationId, sql`lower(${t.name})`)],
);

export const teamMembersTable = sqliteTable(
  "team_members",
  {
    teamId: reference("team_id", () => teamsTable.id, { onDelete: "cascade" }),
    userId: reference("user_id", () => usersTable.id),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("team_members_user_idx").on(t.userId)],
);

export const stacksTable = sqliteTable(
  "stacks",
  {
    /** Insertion order: the keyset of Organization.stacks (a stack created while a client pages comes last, once). */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    organizationId: reference("organization_id", () => organizationsTable.id),
    project: text("project").notNull(),
    name: text("name").notNull(),
    /** The user who created it (stack ADMIN); null when an organization token did. */
    createdByUserId: text("created_by_user_id").references(() => usersTable.id),
    createdAt: createdAt(),
    /** End of the last completed non-preview update. */
    lastUpdatedAt: integer("last_updated_at", { mode: "timestamp_ms" }),
    resourceCount: integer("resource_count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("stacks_name_unique").on(t.organizationId, t.project, t.name),
    index("stacks_page_idx").on(t.organizationId, t.seq),
    index("stacks_project_page_idx").on(t.organizationId, t.project, t.seq),
    index("stacks_creator_idx").on(t.createdByUserId),
  ],
);

/** The latest checkpoint of a stack, apart from the stack row so lists never load it. */
export const stackCheckpointsTable = sqliteTable("stack_checkpoints", {
  stackId: text("stack_id")
    .primaryKey()
    .references(() => stacksTable.id, { onDelete: "cascade" }),
  /** JSON text of the deployment. */
  state: text("state").notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const stackTagsTable = sqliteTable(
  "stack_tags",
  {
    stackId: reference("stack_id", () => stacksTable.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    value: text("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.stackId, t.name] }), index("stack_tags_filter_idx").on(t.name, t.value)],
);

export const teamStackGrantsTable = sqliteTable(
  "team_stack_grants",
  {
    teamId: reference("team_id", () => teamsTable.id, { onDelete: "cascade" }),
    stackId: reference("stack_id", () => stacksTable.id, { onDelete: "cascade" }),
    permission: text("permission", { enum: STACK_PERMISSIONS }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.stackId] }), index("team_stack_grants_stack_idx").on(t.stackId)],
);

export const stackUpdatesTable = sqliteTable(
  "stack_updates",
  {
    id: text("id").primaryKey(),
    stackId: reference("stack_id", () => stacksTable.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    kind: text("kind", { enum: UPDATE_KINDS }).notNull(),
    /** kind = PREVIEW, kept as a column so both history lists have an index. */
    isPreview: integer("is_preview", { mode: "boolean" }).notNull(),
    status: text("status", { enum: UPDATE_STATUSES }).notNull(),
    message: text("message"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    requestedByUserId: text("requested_by_user_id").references(() => usersTable.id),
    requestedByTokenId: text("requested_by_token_id"),
    /** Login of the user or name of the organization token, as it was. */
    requestedBy: text("requested_by").notNull(),
    resourceChanges: text("resource_changes", { mode: "json" }).$type<ResourceChangesValue>(),
  },
  (t) => [
    uniqueIndex("stack_updates_version_unique").on(t.stackId, t.version),
    index("stack_updates_page_idx").on(t.stackId, t.isPreview, t.version),
    // at most one running non-preview update per stack, enforced by the database
    uniqueIndex("stack_updates_one_running")
      .on(t.stackId)
      .where(sql`status = 'RUNNING' AND is_preview = 0`),
  ],
);

export const updateEventsTable = sqliteTable(
  "update_events",
  {
    updateId: reference("update_id", () => stackUpdatesTable.id, { onDelete: "cascade" }),
    sequence: integer("sequence").notNull(),
    timestamp: integer("timestamp", { mode: "timestamp_ms" }).notNull(),
    type: text("type").notNull(),
    /** JSON text. */
    payload: text("payload").notNull(),
  },
  (t) => [primaryKey({ columns: [t.updateId, t.sequence] })],
);

export const accessTokensTable = sqliteTable(
  "access_tokens",
  {
    /** A UUID. */
    id: text("id").primaryKey(),
    kind: text("kind", { enum: TOKEN_KINDS }).notNull(),
    /** Hex sha256 of the secret; the secret itself is never stored. */
    secretHash: text("secret_hash").notNull(),
    /** Owner of a personal token. */
    userId: text("user_id").references(() => usersTable.id),
    /** Owner of an organization token. */
    organizationId: text("organization_id").references(() => organizationsTable.id),
    /** Organization tokens only. */
    name: text("name"),
    description: text("description").notNull().default(""),
    createdByUserId: text("created_by_user_id").references(() => usersTable.id),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("access_tokens_secret_hash_unique").on(t.secretHash),
    index("access_tokens_user_idx").on(t.userId),
    // unique among all of the organization's tokens, deleted ones included
    uniqueIndex("access_tokens_org_name_unique")
      .on(t.organizationId, sql`lower(${t.name})`)
      .where(sql`kind = 'ORGANIZATION'`),
    check(
      "access_tokens_owner",
      sql`(kind = 'PERSONAL' AND user_id IS NOT NULL AND organization_id IS NULL)
        OR (kind = 'ORGANIZATION' AND organization_id IS NOT NULL AND name IS NOT NULL AND user_id IS NULL)`,
    ),
  ],
);

export const webhooksTable = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    organizationId: reference("organization_id", () => organizationsTable.id),
    name: text("name").notNull(),
    displayName: text("display_name").notNull(),
    payloadUrl: text("payload_url").notNull(),
    /** AES-256-GCM ciphertext of the signing secret under the server key; null when none. */
    secretCiphertext: text("secret_ciphertext"),
    active: integer("active", { mode: "boolean" }).notNull(),
    format: text("format", { enum: WEBHOOK_FORMATS }).notNull(),
    filters: text("filters", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("webhooks_name_unique").on(t.organizationId, sql`lower(${t.name})`)],
);

/** Events waiting for delivery, written in the same transaction as the change. */
export const webhookOutboxTable = sqliteTable(
  "webhook_outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    webhookId: reference("webhook_id", () => webhooksTable.id, { onDelete: "cascade" }),
    /** The Standard Webhooks `webhook-id`, the same for every attempt. */
    messageId: text("message_id").notNull(),
    kind: text("kind").notNull(),
    /** JSON text of the event. */
    payload: text("payload").notNull(),
    createdAt: createdAt(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    state: text("state", { enum: OUTBOX_STATES }).notNull().default("PENDING"),
  },
  (t) => [index("webhook_outbox_due_idx").on(t.state, t.nextAttemptAt)],
);

export const webhookDeliveriesTable = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    webhookId: reference("webhook_id", () => webhooksTable.id, { onDelete: "cascade" }),
    outboxId: integer("outbox_id"),
    kind: text("kind").notNull(),
    payload: text("payload").notNull(),
    timestamp: integer("timestamp", { mode: "timestamp_ms" }).notNull(),
    duration: integer("duration"),
    requestUrl: text("request_url").notNull(),
    requestHeaders: text("request_headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    responseCode: integer("response_code"),
    responseHeaders: text("response_headers", { mode: "json" }).$type<Record<string, string>>(),
    responseBody: text("response_body"),
    error: text("error"),
    attempt: integer("attempt").notNull(),
  },
  (t) => [index("webhook_deliveries_page_idx").on(t.webhookId, t.id)],
);

/** Append-only: triggers in the migrations refuse UPDATE and DELETE. */
export const auditEventsTable = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: reference("organization_id", () => organizationsTable.id),
    timestamp: integer("timestamp", { mode: "timestamp_ms" }).notNull(),
    event: text("event").notNull(),
    description: text("description").notNull(),
    sourceIp: text("source_ip"),
    userAgent: text("user_agent"),
    /** The acting user as they were at the time. */
    userId: text("user_id"),
    userLogin: text("user_login"),
    userName: text("user_name"),
    userAvatarUrl: text("user_avatar_url"),
    /** The acting organization token. */
    tokenId: text("token_id"),
    tokenName: text("token_name"),
    requireOrgAdmin: integer("require_org_admin", { mode: "boolean" }).notNull(),
    requireStackAdmin: integer("require_stack_admin", { mode: "boolean" }).notNull(),
    authFailure: integer("auth_failure", { mode: "boolean" }).notNull(),
  },
  (t) => [
    index("audit_events_page_idx").on(t.organizationId, t.id),
    index("audit_events_time_idx").on(t.organizationId, t.timestamp),
    index("audit_events_event_idx").on(t.organizationId, t.event, t.id),
    index("audit_events_login_idx").on(t.organizationId, sql`lower(${t.userLogin})`, t.id),
  ],
);
