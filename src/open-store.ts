// Opens the store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite
// file at DATABASE_PATH. The only module above the dialects that knows both.
import type { Config } from "../config.js";
import { openPostgresStore } from "./postgres/pool.js";
import { SqliteStore } from "./sqlite/store.js";
import type { Store } from "./store.js";

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
