// A real server for a test file: a fresh migrated SQLite file in a temp directory, the real
// Fastify + Apollo + permission map, driven through HTTP with fastify.inject (no socket).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { type App, buildApp } from "../../src/http/app.js";

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: { data?: T | null; errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string } }> };
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
    RATE_LIMIT_PER_TOKEN: "1000000",
    RATE_LIMIT_ANONYMOUS_PER_IP: "1000000",
    RATE_LIMIT_AUTH_FAILURES_PER_IP: "1000000",
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
  return {
    app,
    dir,
    databasePath,
    logs,
    responses,
    async gql(query, variables, options = {}) {
      const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
      if (options.authorization !== undefined) headers.authorization = options.authorization;
      else if (options.token) headers.authorization = `token ${options.token}`;
      const res = await app.fastify.inject({
        method: "POST",
        url: "/graphql",
        headers,
        payload: JSON.stringify({ query, variables }),
      });
      responses.push(res.body);
      return { status: res.statusCode, headers: res.headers, body: JSON.parse(res.body), raw: res.body };
    },
    async close({ keepDir = false }: { keepDir?: boolean } = {}) {
      await app.close();
      if (!keepDir && !reuseDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
