// Reads of rows by their id that several tables share.
import { eq, inArray } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./store.js";

type Keyed = SQLiteTable & { id: SQLiteColumn };

/** The rows of `table` whose id is one of `ids`, in no particular order. */
export async function rowsByIds<T extends Keyed>(db: Db, table: T, ids: readonly string[]): Promise<T["$inferSelect"][]> {
  if (ids.length === 0) return [];
  // drizzle's select over a generic table infers no row type: the rows are the table's
  return await db
    .select()
    .from(table as Keyed)
    .where(inArray(table.id, [...ids]));
}

/** The row of `table` with this id, or null. */
export async function rowById<T extends Keyed>(db: Db, table: T, id: string): Promise<T["$inferSelect"] | null> {
  const [row] = await db
    .select()
    .from(table as Keyed)
    .where(eq(table.id, id))
    .limit(1);
  return (row as T["$inferSelect"] | undefined) ?? null;
}
