// A real server for a test file: a fresh migrated database — an SQLite file in a temp directory,
// or with GATEHOUSE_TEST_BACKEND=postgres (the suite's PostgreSQL pass) a PostgreSQL database of
// its own (test/support/postgres.ts: a server, else PGlite) — and the real Fastify + Apollo +
// permission map, driven through HTTP with fastify.inject (no socket).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { poolConnection } from "../../src/db/postgres/pool.js";
import { PostgresStore } from "../../src/db/postgres/store.js";
import type { Store } from "../../src/db/store.js";
import { parseSecret } from "../../src/lib/token-secret.js";
import { openTestPostgres, type TestPostgres, testPool } from "./postgres.js";
import type { Variables } from "./operations.js";
import { pgliteStore } from "./pglite-store.js";
import { loadConfig } from "../../src/config.js";
import { type App, buildApp } from "../../src/server.js";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: { data?: T | null; errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; field?: string } }> };
  raw: string;
}

export interface RequestOptions {
  token?: string | null;
  /** A raw Authorization header, used as given. */
  authorization?: string;
  headers?: Record<string, string>;
}

export type TestBackend = "sqlite" | "postgres";

/** The backend of this test run: GATEHOUSE_TEST_BACKEND (the vitest project sets it), default sqlite. */
export function testBackend(): TestBackend {
  const backend = process.env.GATEHOUSE_TEST_BACKEND ?? "sqlite";
  if (backend !== "sqlite" && backend !== "postgres") throw new Error(`GATEHOUSE_TEST_BACKEND must be sqlite or postgres, not ${backend}`);
  return backend;
}

export interface TestServer {
  app: App;
  backend: TestBackend;
  /** The PostgreSQL test database (postgres backend only). */
  postgres: TestPostgres | null;
  /**
   * Plain SQL on the server's database (introspection, fault injection); rows as objects.
   * Parameters as PostgreSQL writes them (`$1`, `$2`), on SQLite too.
   */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  dir: string;
  databasePath: string;
  /** Every log line written so far. */
  logs: string[];
  /** Every response body returned by gql() so far. */
  responses: string[];
  gql<T = Record<string, any>>(query: string, variables?: Variables, options?: RequestOptions): Promise<GraphQLResponse<T>>;
  close(options?: { keepDir?: boolean }): Promise<void>;
  /**
   * Resolves once what this process wrote on the server's connection is committed (group
   * commit: after this turn of the event loop). Needed only before another connection
   * (the admin CLI, a raw `new Database`) reads or writes what factories just created.
   */
  committed(): Promise<void>;
}

/** `reuseDir`: start on the database of an earlier (closed) server, e.g. to test a restart. */
export async function startTestServer(env: Record<string, string> = {}, reuseDir?: string): Promise<TestServer> {
  const dir = reuseDir ?? mkdtempSync(join(tmpdir(), "gatehouse-test-"));
  const databasePath = join(dir, "gatehouse.db");
  const config = loadConfig({
    DATABASE_PATH: databasePath,
    // a key of its own: the PostgreSQL pass requires one (several servers share a database), and
    // SQLite then uses it instead of a key file (the tests of the key file set their own env)
    SECRET_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "info",
    DATABASE_SYNCHRONOUS: "NORMAL",
    // tests send many requests from one address; test/limits.test.ts sets low limits itself
    RATE_LIMIT_PER_PRINCIPAL: "1000000",
    RATE_LIMIT_ANONYMOUS_PER_IP: "1000000",
    RATE_LIMIT_AUTH_FAILURES_PER_IP: "1000000",
    AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL: "1000000",
    ...env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const backend = testBackend();
  let postgres: TestPostgres | null = null;
  let store: Store | undefined;
  if (backend === "postgres") {
    postgres = await openTestPostgres();
    store = postgresStoreOn(postgres);
  }
  const app = await buildApp({ config, logStream, store });
  const responses: string[] = [];
  const secrets = new SecretTracker();
  return {
    app,
    backend,
    postgres,
    sql: (text, params) => rawQuery(app.store, postgres, text, params),
    dir,
    databasePath,
    logs,
    responses,
    committed: () => new Promise<void>((resolve) => setImmediate(resolve)),
    async gql(query, variables, options = {}) {
      const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
      if (options.authorization !== undefined) headers.authorization = options.authorization;
      else if (options.token) headers.authorization = `token ${options.token}`;
      const payload = JSON.stringify({ query, variables });
      secrets.noteRequest(payload, options.token);
      const res = await app.fastify.inject({ method: "POST", url: "/graphql", headers, payload });
      responses.push(res.body);
      secrets.noteResponse(res.body, responses.length - 1);
      return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body), raw: res.body };
    },
    async close({ keepDir = false }: { keepDir?: boolean } = {}) {
      const stored = postgres ? await storedText(postgres) : [];
      await app.close();
      if (store) await store.close();
      if (postgres) await postgres.close();
      // every test server is also a secrets check: see SecretTracker
      const leaks = secrets.leaks(dir, logs, responses, stored);
      if (!keepDir && !reuseDir) rmSync(dir, { recursive: true, force: true });
      if (leaks.length > 0) throw new Error(`secrets leaked:\n${leaks.join("\n")}`);
    },
  };
}

const TOKEN_SECRET = /gt[po]_[0-9A-Za-z]{36}/g;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/]{32,}={0,2}/g;

/**
 * Every secret a test handled (token secrets seen in responses or sent as tokens, webhook
 * secrets sent in variables) must appear nowhere else: not in the database files, not in a
 * log line, not in any response but the one that created it.
 */
class SecretTracker {
  /** secret → index of the response that revealed it (-1: never in a response). */
  private readonly issued = new Map<string, number>();

  noteRequest(payload: string, token: string | null | undefined): void {
    if (token && parseSecret(token) && !this.issued.has(token)) this.issued.set(token, -1);
    for (const [secret] of payload.matchAll(WEBHOOK_SECRET)) if (!this.issued.has(secret)) this.issued.set(secret, -1);
  }

  noteResponse(body: string, index: number): void {
    // the first response a secret appears in is its create payload; any later one is a leak
    for (const [secret] of body.matchAll(TOKEN_SECRET)) {
      if (parseSecret(secret) && !this.issued.has(secret)) this.issued.set(secret, index);
    }
  }

  leaks(dir: string, logs: string[], responses: string[], storedElsewhere: string[]): string[] {
    const stored: Array<Buffer | string> = ["gatehouse.db", "gatehouse.db-wal"]
      .map((f) => `${dir}/${f}`)
      .filter(existsSync)
      .map((f) => readFileSync(f));
    stored.push(...storedElsewhere);
    const log = logs.join("");
    const found: string[] = [];
    for (const [secret, revealedBy] of this.issued) {
      const needle = secret.startsWith("whsec_") ? secret.slice(6, 38) : secret.slice(4, 34);
      const shown = `${secret.slice(0, 8)}…`;
      if (stored.some((b) => b.includes(needle))) found.push(`${shown} is in the database file`);
      if (log.includes(needle)) found.push(`${shown} is in the logs`);
      responses.forEach((body, i) => {
        if (i !== revealedBy && body.includes(needle)) found.push(`${shown} is in response ${i} (not its create payload)`);
      });
    }
    return found;
  }
}

/** A store on a PostgreSQL test database (the server's migrations are applied already). */
function postgresStoreOn(postgres: TestPostgres): Store {
  if (postgres.pglite) return pgliteStore(postgres.pglite, async () => {});
  return new PostgresStore(poolConnection(testPool(postgres.url!, 10)));
}

async function rawQuery<R>(store: Store, postgres: TestPostgres | null, text: string, params: unknown[] = []): Promise<R[]> {
  if (postgres) return postgres.query<R>(text, params);
  const sqlite = (store as unknown as { connection: import("better-sqlite3").Database }).connection;
  const statement = sqlite.prepare(text.replace(/\$(\d+)/g, "?"));
  if (statement.reader) return statement.all(...positional(text, params)) as R[];
  statement.run(...positional(text, params));
  return [];
}

/** Every row of every table, as text: what a secret must not be found in. */
async function storedText(postgres: TestPostgres): Promise<string[]> {
  const tables = await postgres.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
  );
  const texts: string[] = [];
  for (const { name } of tables) {
    const rows = await postgres.query<{ row: string }>(`select t::text as row from "${name}" t`);
    texts.push(rows.map((r) => r.row).join("\n"));
  }
  return texts;
}

/** `$n` placeholders become `?` for SQLite: the values in the order the placeholders appear. */
export function positional(text: string, params: unknown[]): unknown[] {
  return [...text.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
}
