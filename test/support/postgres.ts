// A fresh PostgreSQL database for a test file: on a real server when one answers, else on
// PGlite in-process, so a machine without PostgreSQL still runs the suite.
//
// Server: TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres when it answers
// within PROBE_TIMEOUT_MS. The migrations are applied once to a template database named after
// a hash of the migrations folder (so worktrees on other migrations keep their own template, and
// a later run reuses it); each call then copies it (`CREATE DATABASE … TEMPLATE`) and close()
// drops the copy. Template building is serialised across processes by an advisory lock, so
// several vitest workers may ask at once. Copies and templates left by crashed runs are dropped
// on the next run (a copy whose process is gone, or older than STALE_COPY_HOURS; a template of
// other migrations older than STALE_TEMPLATE_HOURS).
// PGlite: an in-memory instance migrated with the same migrations; later calls in the same
// process load a snapshot of it instead of migrating again.
//
// TEST_POSTGRES=pglite forces PGlite; TEST_POSTGRES=server requires a server (no fallback).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import pg from "pg";
import { migratePostgres, POSTGRES_MIGRATIONS_FOLDER } from "../../src/db/postgres/migrate.js";
import * as schema from "../../src/db/postgres/schema.js";

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const PROBE_TIMEOUT_MS = 1_000;
const STALE_COPY_HOURS = 6;
const STALE_TEMPLATE_HOURS = 24;
const TEMPLATE_PREFIX = "gatehouse_tpl_";
const COPY_PREFIX = "gatehouse_tcp_";
/** Serialises template building (and the stale-database sweep) across processes. */
const TEMPLATE_LOCK = 0x4761_7465_0002n;

export type PostgresBackend = "server" | "pglite";
export type PostgresDb = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface TestPostgres {
  readonly backend: PostgresBackend;
  /** Drizzle on this database with the PostgreSQL schema. */
  readonly db: PostgresDb;
  /** A plain query (introspection, triggers, things drizzle has no builder for). */
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Server: this database's connection string (for more pools or clients). */
  readonly url?: string;
  /** Server: the pool behind `db`. */
  readonly pool?: pg.Pool;
  /** PGlite: the instance behind `db`. */
  readonly pglite?: PGlite;
  /** Ends the connections and drops the database. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** false: an empty database (no migrations applied), e.g. to test migrating. Default true. */
  migrated?: boolean;
}

let backendOnce: Promise<{ backend: PostgresBackend; url?: string }> | undefined;

/** Which backend this process uses (probed once). */
export async function postgresBackend(): Promise<PostgresBackend> {
  return (await resolveBackend()).backend;
}

/** A fresh database of its own for the caller; call close() in afterAll. */
export async function openTestPostgres(options: OpenOptions = {}): Promise<TestPostgres> {
  const { backend, url } = await resolveBackend();
  return backend === "server" ? openOnServer(url!, options.migrated ?? true) : openOnPglite(options.migrated ?? true);
}

function resolveBackend() {
  backendOnce ??= (async () => {
    const forced = process.env.TEST_POSTGRES;
    if (forced && forced !== "pglite" && forced !== "server") {
      throw new Error(`TEST_POSTGRES must be "pglite" or "server", not "${forced}"`);
    }
    if (forced === "pglite") return { backend: "pglite" as const };
    const url = process.env.TEST_DATABASE_URL || DEFAULT_URL;
    const answer = await probe(url);
    if (answer === true) return { backend: "server" as const, url };
    if (forced === "server") throw new Error(`TEST_POSTGRES=server, but no PostgreSQL answers at ${redact(url)}: ${answer}`);
    return { backend: "pglite" as const };
  })();
  return backendOnce;
}

async function probe(url: string): Promise<true | string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");

// ---------------------------------------------------------------------------------------------
// Server

let templateOnce: Promise<string> | undefined;
let copies = 0;

async function openOnServer(adminUrl: string, migrated: boolean): Promise<TestPostgres> {
  const template = migrated ? await (templateOnce ??= ensureTemplate(adminUrl)) : undefined;
  const name = copyName();
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ""}`));
  const url = withDatabase(adminUrl, name);
  const pool = testPool(url, 4);
  return {
    backend: "server",
    db: drizzleNodePg(pool, { schema }),
    url,
    pool,
    query: async (text, params) => (await pool.query(text, params)).rows,
    close: async () => {
      await pool.end();
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
    },
  };
}

/**
 * A pool on a test database. Its idle connections may be ended by the server when the database
 * is dropped (`WITH (FORCE)`, also just after pool.end() returned): that is not an error here.
 */
export function testPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", () => undefined);
  return pool;
}

/** The migrated template of the current migrations, built when missing. */
async function ensureTemplate(adminUrl: string): Promise<string> {
  const hash = migrationsHash();
  return withAdmin(adminUrl, async (admin) => {
    await admin.query("SELECT pg_advisory_lock($1::bigint)", [TEMPLATE_LOCK.toString()]);
    try {
      await sweepStale(admin, hash);
      const found = await admin.query<{ datname: string; datistemplate: boolean }>(
        "SELECT datname, datistemplate FROM pg_database WHERE datname LIKE $1",
        [`${likeEscape(`${TEMPLATE_PREFIX}${hash}_`)}%`],
      );
      const ready = found.rows.find((row) => row.datistemplate);
      if (ready) return ready.datname;
      // one not marked as a template is a build that died half-way (we hold the lock)
      for (const row of found.rows) await admin.query(`DROP DATABASE ${ident(row.datname)} WITH (FORCE)`);
      const name = `${TEMPLATE_PREFIX}${hash}_${epochSeconds()}`;
      await admin.query(`CREATE DATABASE ${ident(name)}`);
      const client = new pg.Client({ connectionString: withDatabase(adminUrl, name) });
      await client.connect();
      try {
        await migratePostgres(client);
      } finally {
        await client.end();
      }
      // the mark that the build finished; no connections, so copying is never refused
      // ("source database is being accessed by other users")
      await admin.query(`ALTER DATABASE ${ident(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      return name;
    } finally {
      await admin.query("SELECT pg_advisory_unlock($1::bigint)", [TEMPLATE_LOCK.toString()]);
    }
  });
}

/** Drops the copies of crashed runs and old templates of other migrations. */
async function sweepStale(admin: pg.Client, currentHash: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
    `${likeEscape("gatehouse_t")}%`,
  ]);
  const now = epochSeconds();
  for (const { datname } of rows) {
    const copy = /^gatehouse_tcp_([0-9a-f]{6})_(\d+)_(\d+)_\d+$/.exec(datname);
    const template = /^gatehouse_tpl_([0-9a-f]{16})_(\d+)$/.exec(datname);
    try {
      if (copy) {
        const [, host, pid, created] = copy;
        // the copy of a process gone from this machine, or an old one; never while someone
        // is connected (no FORCE: PostgreSQL refuses), in case the pid is from elsewhere
        const orphan = host === hostTag() && !processAlive(Number(pid));
        if (orphan || now - Number(created) > STALE_COPY_HOURS * 3600) {
          await admin.query(`DROP DATABASE IF EXISTS ${ident(datname)}`);
        }
      } else if (template && template[1] !== currentHash && now - Number(template[2]) > STALE_TEMPLATE_HOURS * 3600) {
        await admin.query(`ALTER DATABASE ${ident(datname)} WITH IS_TEMPLATE false`);
        await admin.query(`DROP DATABASE IF EXISTS ${ident(datname)}`);
      }
    } catch {
      // in use (being copied, or a live test elsewhere): left for a later sweep
    }
  }
}

/** gatehouse_tcp_<host>_<pid>_<created>_<n>: enough to tell whose it is and how old. */
const copyName = () => `${COPY_PREFIX}${hostTag()}_${process.pid}_${epochSeconds()}_${copies++}`;
const hostTag = () => createHash("sha256").update(hostname()).digest("hex").slice(0, 6);
const epochSeconds = () => Math.floor(Date.now() / 1000);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A hash of every file of the migrations folder: a changed migration makes a new template. */
function migrationsHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update("\0").update(readFileSync(path)).update("\0");
    }
  };
  walk(POSTGRES_MIGRATIONS_FOLDER);
  return hash.digest("hex").slice(0, 16);
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, "\\$&");
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------------------------------------
// PGlite

let snapshotOnce: Promise<Blob> | undefined;

async function openOnPglite(migrated: boolean): Promise<TestPostgres> {
  // loaded only here: a run against a server never starts the WASM module
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle: drizzlePglite } = await import("drizzle-orm/pglite");
  let client: PGlite;
  if (!migrated) {
    client = await PGlite.create();
  } else if (snapshotOnce) {
    client = await PGlite.create({ loadDataDir: await snapshotOnce });
  } else {
    // the first migrated database of this process is migrated, then snapshotted for the next
    client = await PGlite.create();
    let resolve!: (blob: Blob) => void;
    let reject!: (error: unknown) => void;
    snapshotOnce = new Promise<Blob>((res, rej) => ((resolve = res), (reject = rej)));
    snapshotOnce.catch(() => undefined);
    try {
      await migratePostgres(client);
      resolve(await client.dumpDataDir("none"));
    } catch (error) {
      snapshotOnce = undefined;
      reject(error);
      throw error;
    }
  }
  return {
    backend: "pglite",
    db: drizzlePglite(client, { schema }),
    pglite: client,
    query: async <R>(text: string, params?: unknown[]) => (await client.query<R>(text, params)).rows,
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}
