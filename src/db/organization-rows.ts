// Reads of an organization's rows that several tables share: how many it has, and for rows
// named uniquely within it, ignoring case (teams, webhooks), the lookup and the page by name,
// both served by the table's unique index on (organization_id, lower(name)).
import { and, asc, count, eq, gt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./store.js";

type OrganizationScoped = SQLiteTable & { organizationId: SQLiteColumn };
type OrganizationNamed = OrganizationScoped & { name: SQLiteColumn };

/** How many rows of `table` belong to `organizationId`. */
export async function countInOrganization(db: Db, table: OrganizationScoped, organizationId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(table).where(eq(table.organizationId, organizationId));
  return row!.n;
}

const lowerName = (table: OrganizationNamed): SQL => sql`lower(${table.name})`;

/** The row of `organizationId` named `name` in any case, or null. */
export async function findByName<T extends OrganizationNamed>(
  db: Db,
  table: T,
  organizationId: string,
  name: string,
): Promise<T["$inferSelect"] | null> {
  const [row] = await db
    .select()
    .from(table as OrganizationNamed)
    .where(and(eq(table.organizationId, organizationId), eq(lowerName(table), name.toLowerCase())))
    .limit(1);
  return (row as T["$inferSelect"] | undefined) ?? null;
}

/**
 * The rows of `organizationId` by name ignoring case: all of them, or up to `limit` after the
 * lower-cased name `after` (keyset).
 */
export async function listByName<T extends OrganizationNamed>(
  db: Db,
  table: T,
  organizationId: string,
  page?: { readonly after: string | undefined; readonly limit: number },
): Promise<T["$inferSelect"][]> {
  const query = db
    .select()
    .from(table as OrganizationNamed)
    .where(and(eq(table.organizationId, organizationId), page?.after === undefined ? undefined : gt(lowerName(table), page.after)))
    .orderBy(asc(lowerName(table)));
  return await (page ? query.limit(page.limit) : query);
}
