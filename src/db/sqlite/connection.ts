import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "../schema.js";

// src/db/sqlite → src/db/migrations, and dist/db/sqlite → src/db/migrations: the SQL is not copied into dist.
const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../src/db/migrations", import.meta.url));

/**
 * SQLite's `synchronous` pragma. The server is configured with FULL, EXTRA or NORMAL only
 * (DATABASE_SYNCHRONOUS); OFF is for throwaway databases (the benchmarks' seeding).
 */
export type SqliteSynchronous = "OFF" | "NORMAL" | "FULL" | "EXTRA";

export interface OpenSqliteOptions {
  synchronous?: SqliteSynchronous;
  readonly?: boolean;
}

/**
 * Opens (creating when needed) the SQLite file and applies the committed migrations.
 * WAL lets readers run beside the single writer; the busy timeout makes a second writer
 * (another process on the same file) wait instead of failing with SQLITE_BUSY.
 */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): Database.Database {
  if (path !== ":memory:" && !options.readonly) createPrivately(path);
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
    migrate(drizzle(sqlite, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  }
  return sqlite;
}

/**
 * The database holds stack state, emails and the audit log: a data directory Gatehouse
 * creates is 0700, a database file it creates 0600. SQLite gives the -wal and -shm files the
 * mode of the database file, so they are 0600 too. Files and directories that exist already
 * keep the mode their owner gave them.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600)); // "wx": only if it does not exist yet
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
