// Opens the store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite
// file at DATABASE_PATH. Part of the composition root: the only module that knows both dialects.
import type { Config } from "./config.js";
import { openPostgresStore } from "./db/postgres/pool.js";
import { SqliteStore } from "./db/sqlite/store.js";
import type { Store } from "./db/store.js";

export interface OpenStoreOptions {
  /** SQLite: the server's write transactions share their COMMITs (src/db/sqlite/group-commit.ts); the CLI commits each alone. */
  readonly groupCommit: boolean;
}

export async function openStore(
  config: Pick<Config, "databaseUrl" | "databasePoolSize" | "databasePath" | "databaseSynchronous">,
  options: OpenStoreOptions,
): Promise<Store> {
  if (config.databaseUrl !== null) return openPostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  return SqliteStore.open(config.databasePath, { synchronous: config.databaseSynchronous, groupCommit: options.groupCommit });
}
