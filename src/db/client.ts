import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { GroupCommit } from "./group-commit.js";
import * as schema from "./schema.js";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/**
 * What a write transaction's callback receives: the connection itself (a synchronous
 * transaction belongs to the connection; every statement on it runs inside), so no
 * per-transaction wrapper objects are built.
 */
export type Tx = Db;

// src/db → src/db/migrations, and dist/db → src/db/migrations: the SQL is not copied into dist.
const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../src/db/migrations", import.meta.url));

/**
 * SQLite's `synchronous` pragma. The server is configured with FULL, EXTRA or NORMAL only
 * (DATABASE_SYNCHRONOUS); OFF is for throwaway databases (the benchmarks' seeding).
 */
export type SqliteSynchronous = "OFF" | "NORMAL" | "FULL" | "EXTRA";

export interface OpenDatabaseOptions {
  synchronous?: SqliteSynchronous;
  readonly?: boolean;
}

/**
 * Opens (creating when needed) the SQLite file and applies the committed migrations.
 * WAL lets readers run beside the single writer; the busy timeout makes a second writer
 * (another process on the same file) wait instead of failing with SQLITE_BUSY.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
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
  }
  const db = drizzle(sqlite, { schema });
  if (!options.readonly) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
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

const groupCommits = new WeakMap<Db, GroupCommit>();
const immediateTransactions = new WeakMap<Db, (work: (tx: Tx) => unknown) => unknown>();

/** From now on, the write transactions on `db` share their COMMITs (the server does this). */
export function enableGroupCommit(db: Db): GroupCommit {
  let group = groupCommits.get(db);
  if (!group) groupCommits.set(db, (group = new GroupCommit(db.$client)));
  return group;
}

/** The group commit of `db`, when the server enabled one. */
export const transactionGroupsOf = (db: Db): GroupCommit | undefined => groupCommits.get(db);

/**
 * Runs `work` as one all-or-nothing transaction, IMMEDIATE: the write lock is taken at
 * BEGIN, so a read-then-write cannot fail half-way with SQLITE_BUSY when another connection
 * writes. In the server it is a step of a group commit (src/db/group-commit.ts); elsewhere
 * (CLI, scripts) a transaction of its own.
 */
export function writeTransaction<T>(db: Db, work: (tx: Tx) => T): T {
  const group = groupCommits.get(db);
  if (group) return group.run(() => work(db));
  let immediate = immediateTransactions.get(db);
  if (!immediate) {
    const transaction = db.$client.transaction((step: (tx: Tx) => unknown) => step(db));
    immediate = (step) => transaction.immediate(step);
    immediateTransactions.set(db, immediate);
  }
  return immediate(work) as T;
}
