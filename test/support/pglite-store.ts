// A PostgreSQL store on PGlite in-process (a test database of test/support/postgres.ts when no
// server answers). PGlite is one connection: its transactions are serialised by PGlite itself.
import type { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import * as schema from "../../src/db/postgres/schema.js";
import { PostgresStore } from "../../src/db/postgres/store.js";

export function pgliteStore(pglite: PGlite, end: () => Promise<void>): PostgresStore {
  return new PostgresStore({
    drizzle(guard) {
      const guarded = new Proxy(pglite, {
        get(target, key) {
          if (key === "query") {
            return (...args: Parameters<PGlite["query"]>) => {
              guard();
              return target.query(...args);
            };
          }
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const db = drizzle(guarded, { schema });
      return { root: db, transactional: db };
    },
    // one connection: its transactions run one at a time already
    exclusively: (_key, work) => work(drizzle(pglite, { schema })),
    end,
  });
}
