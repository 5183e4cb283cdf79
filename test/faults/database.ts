// The database a fault test's server processes share, on the backend of the run
// (GATEHOUSE_TEST_BACKEND, set by the vitest project): an SQLite file in a temp directory, or a
// PostgreSQL database of its own on a real server (several processes cannot share PGlite, so
// the PostgreSQL pass of the fault suite needs a server: test/support/postgres.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/open-store.js";
import type { Store } from "../../src/db/store.js";
import { createServices, type Services } from "../../src/services.js";
import { openTestPostgres, postgresBackend, type TestPostgres } from "../support/postgres.js";
import { positional, testBackend } from "../support/test-server.js";

export interface FaultDatabase {
  readonly backend: "sqlite" | "postgres";
  /** The environment a server process needs to use it (DATABASE_PATH or DATABASE_URL, SECRET_KEY). */
  readonly env: Record<string, string>;
  /** Services on a store of its own (seeding before the servers start, reading after). */
  withServices<T>(work: (services: Services, store: Store) => Promise<T>): Promise<T>;
  /**
   * Plain SQL with `$1` placeholders, on a connection of its own; rows as objects. A count is
   * a number on both only when cast (`cast(count(*) as integer)`: PostgreSQL's bigint is text).
   */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** False when this run is on PostgreSQL but only PGlite is available (the fault tests then skip). */
export async function faultBackendAvailable(): Promise<boolean> {
  return testBackend() === "sqlite" || (await postgresBackend()) === "server";
}

export async function openFaultDatabase(prefix: string, secretKeyHex: string): Promise<FaultDatabase> {
  const key = Buffer.from(secretKeyHex, "hex");
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-${prefix}-`));
  let postgres: TestPostgres | null = null;
  let env: Record<string, string>;
  if (testBackend() === "postgres") {
    postgres = await openTestPostgres();
    env = { DATABASE_URL: postgres.url!, SECRET_KEY: secretKeyHex, DATABASE_PATH: join(dir, "unused.db") };
  } else {
    env = { DATABASE_PATH: join(dir, "gatehouse.db"), SECRET_KEY: secretKeyHex };
  }
  const config = {
    databaseUrl: env.DATABASE_URL ?? null,
    databasePoolSize: 4,
    databasePath: env.DATABASE_PATH!,
    databaseSynchronous: "FULL" as const,
  };
  return {
    backend: postgres ? "postgres" : "sqlite",
    env,
    async withServices(work) {
      const store = await openStore(config, { groupCommit: false });
      try {
        return await work(createServices(store, key), store);
      } finally {
        await store.close();
      }
    },
    async sql<R>(text: string, params: unknown[] = []) {
      if (postgres) {
        return postgres.query<R>(text, params);
      }
      const { openSqlite } = await import("../../src/db/sqlite/connection.js");
      const sqlite = openSqlite(config.databasePath, { readonly: true });
      try {
        return sqlite.prepare(text.replace(/\$(\d+)/g, "?")).all(...positional(text, params)) as R[];
      } finally {
        sqlite.close();
      }
    },
    async close() {
      if (postgres) await postgres.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
