import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";

// src/db/postgres → src/db/postgres/migrations, and dist/db/postgres → the same folder of src:
// the SQL is not copied into dist.
export const POSTGRES_MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../src/db/postgres/migrations", import.meta.url));

/**
 * Keys of the session-level advisory locks Gatehouse takes (one 64-bit key space per
 * database). Other applications sharing the database would have to avoid these numbers.
 */
export const ADVISORY_LOCKS = {
  /** Held while migrations are applied, so servers starting together migrate once. */
  migrations: 0x4761_7465_0001n,
} as const;

/** Where migrations can be applied: a server (a pool or one client) or PGlite in-process. */
export type MigrationTarget = pg.Pool | pg.Client | pg.PoolClient | PGlite;

/**
 * Applies the committed PostgreSQL migrations (src/db/postgres/migrations).
 * On a server, under a session-level `pg_advisory_lock` held by one dedicated connection for
 * the whole run: a second server starting at the same moment waits, then finds every migration
 * recorded and applies none. (drizzle's migrator has no lock of its own: two concurrent runs
 * both apply 0000 and one fails.) PGlite is one connection in this process, where an advisory
 * lock excludes nothing (a session never waits for its own lock): concurrent calls on one
 * target are queued in-process instead, which covers PGlite and a shared client alike.
 */
export function migratePostgres(target: MigrationTarget, migrationsFolder = POSTGRES_MIGRATIONS_FOLDER): Promise<void> {
  const run = (queued.get(target) ?? Promise.resolve()).catch(() => undefined).then(() => migrateNow(target, migrationsFolder));
  queued.set(target, run);
  return run;
}

const queued = new WeakMap<MigrationTarget, Promise<void>>();

async function migrateNow(target: MigrationTarget, migrationsFolder: string): Promise<void> {
  if (target instanceof pg.Pool) {
    await withSessionLock(target, ADVISORY_LOCKS.migrations, (client) => migrateOn(client, migrationsFolder));
  } else if (target instanceof pg.Client) {
    await lockedOn(target, ADVISORY_LOCKS.migrations, () => migrateOn(target, migrationsFolder));
  } else {
    // loaded only here: the PGlite driver imports @electric-sql/pglite, a dev dependency
    const { drizzle: drizzlePglite } = await import("drizzle-orm/pglite");
    await migratePglite(drizzlePglite(target), { migrationsFolder });
  }
}

const migrateOn = (client: pg.Client | pg.PoolClient, migrationsFolder: string) => migrateNodePg(drizzle(client), { migrationsFolder });

/**
 * Runs `work` on one connection of `pool` while that connection holds the session-level
 * advisory lock `key`. After a failure the connection is destroyed rather than returned to the
 * pool (ending the session releases the lock whatever state it was left in), so no pooled
 * connection keeps the lock. Needs session pooling: behind a transaction pooler (pgbouncer in
 * transaction mode) a session-level lock is not held by one session; connect directly.
 */
export async function withSessionLock<T>(pool: pg.Pool, key: bigint, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let result: T;
  try {
    result = await lockedOn(client, key, () => work(client));
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  client.release();
  return result;
}

/** `work` while `client`'s session holds the advisory lock `key` (waiting for it first). */
async function lockedOn<T>(client: pg.ClientBase, key: bigint, work: () => Promise<T>): Promise<T> {
  const unlock = () => client.query("SELECT pg_advisory_unlock($1::bigint)", [key.toString()]);
  await client.query("SELECT pg_advisory_lock($1::bigint)", [key.toString()]);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await unlock().catch(() => undefined); // the work's error is the one to report
    throw error;
  }
  await unlock();
  return result;
}
