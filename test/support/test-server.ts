// A real server for a test file: a fresh migrated SQLite file in a temp directory, the real
// Fastify + Apollo + permission map, driven through HTTP with fastify.inject (no socket).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseSecret } from "../../src/lib/token-secret.js";
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

export interface TestServer {
  app: App;
  dir: string;
  databasePath: string;
  /** Every log line written so far. */
  logs: string[];
  /** Every response body returned by gql() so far. */
  responses: string[];
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResponse<T>>;
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
  const app = await buildApp({ config, logStream });
  const responses: string[] = [];
  const secrets = new SecretTracker();
  return {
    app,
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
      await app.close();
      // every test server is also a secrets check: see SecretTracker
      const leaks = secrets.leaks(dir, logs, responses);
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

  leaks(dir: string, logs: string[], responses: string[]): string[] {
    const stored = ["gatehouse.db", "gatehouse.db-wal"]
      .map((f) => `${dir}/${f}`)
      .filter(existsSync)
      .map((f) => readFileSync(f));
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
