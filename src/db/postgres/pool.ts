// A PostgreSQL server as the store's connection: one `pg` pool. Transactions take a client of
// their own from it (drizzle's node-postgres driver does); plain reads run on any pooled
// connection, through a client that first asks the store's guard.
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { migratePostgres } from "./migrate.js";
import * as schema from "./schema.js";
import { PostgresStore, type PostgresConnection } from "./store.js";

export interface PostgresPoolOptions {
  readonly url: string;
  /** Connections at most (DATABASE_POOL_SIZE). */
  readonly poolSize: number;
}

export function poolConnection(pool: pg.Pool): PostgresConnection {
  return {
    drizzle(guard) {
      const guarded = {
        query: (...args: Parameters<pg.Pool["query"]>) => {
          guard();
          return pool.query(...args);
        },
      };
      return {
        root: drizzle(guarded as unknown as pg.Pool, { schema }),
        transactional: drizzle(pool, { schema }),
      };
    },
    async exclusively(key, work) {
      const client = await pool.connect();
      try {
        await client.query("select pg_advisory_lock($1::bigint)", [key.toString()]);
      } catch (error) {
        client.release(true);
        throw error;
      }
      let result;
      try {
        result = await work(drizzle(client, { schema }));
      } catch (error) {
        await unlockAndRelease(client, key);
        throw error;
      }
      await unlockAndRelease(client, key);
      return result;
    },
    end: () => pool.end(),
  };
}

/** Ends the session lock; a connection that cannot is destroyed (ending the session frees it). */
async function unlockAndRelease(client: pg.PoolClient, key: bigint): Promise<void> {
  try {
    await client.query("select pg_advisory_unlock($1::bigint)", [key.toString()]);
    client.release();
  } catch {
    client.release(true);
  }
}

/** Connects, applies the migrations (once for servers starting together), and returns the store. */
export async function openPostgresStore(options: PostgresPoolOptions): Promise<PostgresStore> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize });
  // an idle connection that breaks (the server restarted) is dropped by the pool; without a
  // listener its error would end the process
  pool.on("error", () => {});
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresStore(poolConnection(pool));
}
