import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { SynchronousMode } from "../config.js";
import * as schema from "./schema.js";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** What a synchronous transaction callback receives. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

// src/db → src/db/migrations, and dist/db → src/db/migrations: the SQL is not copied into dist.
const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../src/db/migrations", import.meta.url));

export interface OpenDatabaseOptions {
  synchronous?: SynchronousMode;
  readonly?: boolean;
}

/**
 * Opens (creating when needed) the SQLite file and applies the committed migrations.
 * WAL lets readers run beside the single writer; the busy timeout makes a second writer
 * (another process on the same file) wait instead of failing with SQLITE_BUSY.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  if (path !== ":memory:" && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { readonly: options.readonly ?? false });
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  // a larger page cache than SQLite's default 2 MiB (kept in the process: it counts in RSS,
  // so it stays well below the 200 MB an export may use; no mmap, whose pages count too)
  sqlite.pragma("cache_size = -32768"); // 32 MiB
  sqlite.pragma("temp_store = MEMORY");
  if (!options.readonly) {
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`synchronous = ${options.synchronous ?? "FULL"}`);
  }
  const db = drizzle(sqlite, { schema });
  if (!options.readonly) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}

/**
 * Runs `work` in one synchronous IMMEDIATE transaction: the write lock is taken at BEGIN,
 * so a read-then-write cannot fail half-way with SQLITE_BUSY when another connection writes.
 */
export function writeTransaction<T>(db: Db, work: (tx: Tx) => T): T {
  return db.transaction(work, { behavior: "immediate" });
}
