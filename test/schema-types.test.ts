// The PostgreSQL schema's row types are the SQLite schema's, so a service is written once.
// The assertions are checked by `tsc --noEmit` (npm run typecheck, the first step of
// npm test); at run time expectTypeOf does nothing, and the test below only counts tables.
import type { InferInsertModel, InferSelectModel, Table } from "drizzle-orm";
import { is, Table as TableClass } from "drizzle-orm";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pg from "../src/db/postgres/schema.js";
import * as sqlite from "../src/db/schema.js";

type TableNames<S> = { [K in keyof S]: S[K] extends Table ? K : never }[keyof S];
type SelectRows<S> = { [K in TableNames<S>]: S[K] extends Table ? InferSelectModel<S[K]> : never };
type InsertRows<S> = { [K in TableNames<S>]: S[K] extends Table ? InferInsertModel<S[K]> : never };

describe("PostgreSQL and SQLite schemas", () => {
  it("export the same names", () => {
    expectTypeOf<keyof typeof pg>().toEqualTypeOf<keyof typeof sqlite>();
    expectTypeOf<TableNames<typeof pg>>().toEqualTypeOf<TableNames<typeof sqlite>>();
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
  });

  it("infer identical select and insert rows for every table", () => {
    expectTypeOf<SelectRows<typeof pg>>().toEqualTypeOf<SelectRows<typeof sqlite>>();
    expectTypeOf<InsertRows<typeof pg>>().toEqualTypeOf<InsertRows<typeof sqlite>>();
    // spelled out for the tables whose columns differ most in SQL type, so an error names them
    expectTypeOf(pg.stackUpdatesTable.$inferSelect).toEqualTypeOf(sqlite.stackUpdatesTable.$inferSelect);
    expectTypeOf(pg.auditEventsTable.$inferInsert).toEqualTypeOf(sqlite.auditEventsTable.$inferInsert);
    expectTypeOf(pg.webhookDeliveriesTable.$inferSelect).toEqualTypeOf(sqlite.webhookDeliveriesTable.$inferSelect);
    const tables = (schema: object) => Object.entries(schema).filter(([, v]) => is(v, TableClass)).length;
    expect(tables(pg)).toBe(16);
    expect(tables(sqlite)).toBe(16);
  });
});
