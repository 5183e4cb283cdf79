// Reads of rows by their id that several tables share.
import { eq, inArray, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client.js";

type Keyed = SQLiteTable & { id: SQLiteColumn };

/** The rows of `table` whose id is one of `ids`, in no particular order. */
export function rowsByIds<T extends Keyed>(db: Db, table: T, ids: readonly string[]): T["$inferSelect"][] {
  return db
    .select()
    .from(table as Keyed)
    .where(inArray(table.id, [...ids]))
    .all();
}

/** A point lookup by id, prepared once: `.get({ id })`. */
export interface ByIdStatement<Row> {
  get(params: { id: string }): Row | undefined;
}

export function prepareById<T extends Keyed>(db: Db, table: T): ByIdStatement<T["$inferSelect"]> {
  return db
    .select()
    .from(table as Keyed)
    .where(eq(table.id, sql.placeholder("id")))
    .prepare() as ByIdStatement<T["$inferSelect"]>;
}
