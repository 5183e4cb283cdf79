// The row types of the data model, as a SELECT returns them: inferred from the tables
// (src/db/schema.ts; the PostgreSQL schema infers the same rows, test/schema-types.test.ts).
// Every layer above names rows by these types.
import type {
  accessTokensTable,
  auditEventsTable,
  organizationsTable,
  stacksTable,
  stackUpdatesTable,
  teamsTable,
  usersTable,
  webhookDeliveriesTable,
  webhookOutboxTable,
  webhooksTable,
} from "./schema.js";

export type UserRow = typeof usersTable.$inferSelect;
export type OrganizationRow = typeof organizationsTable.$inferSelect;
export type AccessTokenRow = typeof accessTokensTable.$inferSelect;
export type TeamRow = typeof teamsTable.$inferSelect;
export type StackRow = typeof stacksTable.$inferSelect;
export type UpdateRow = typeof stackUpdatesTable.$inferSelect;
export type WebhookRow = typeof webhooksTable.$inferSelect;
export type DeliveryRow = typeof webhookDeliveriesTable.$inferSelect;
export type OutboxRow = typeof webhookOutboxTable.$inferSelect;
export type AuditEventRow = typeof auditEventsTable.$inferSelect;
