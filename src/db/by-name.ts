// Rows named uniquely within an organization, ignoring case (teams, webhooks): each table has
// a unique index on (organization_id, lower(name)), which serves both lookups below.
import { and, asc, eq, gt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client.js";

type OrganizationNamed = SQLiteTable & { organizationId: SQLiteColumn; name: SQLiteColumn };

const lowerName = (table: OrganizationNamed): SQL => sql`lower(${table.name})`;

/** The row of `organizationId` named `name` in any case, or null. */
export function findByName<T extends OrganizationNamed>(db: Db, table: T, organizationId: string, name: string): T["$inferSelect"] | null {
  const row = db
    .select()
    .from(table as OrganizationNamed)
    .where(and(eq(table.organizationId, organizationId), eq(lowerName(table), name.toLowerCase())))
    .get();
  return (row as T["$inferSelect"] | undefined) ?? null;
}

/** Up to `limit` rows of `organizationId` by name ignoring case, after the lower-cased name `after` (keyset). */
export function pageByName<T extends OrganizationNamed>(
  db: Db,
  table: T,
  organizationId: string,
  after: string | undefined,
  limit: number,
): T["$inferSelect"][] {
  const rows = db
    .select()
    .from(table as OrganizationNamed)
    .where(and(eq(table.organizationId, organizationId), after === undefined ? undefined : gt(lowerName(table), after)))
    .orderBy(asc(lowerName(table)))
    .limit(limit)
    .all();
  return rows as T["$inferSelect"][];
}
