import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapSiteAdmin } from "../src/bootstrap.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { createUser } from "./support/factories.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ CORS_ORIGINS: "https://console.example.test" });
});
afterAll(() => server.close());

describe("GET /healthz", () => {
  it("answers 200 {status: ok} once the database answers", async () => {
    const res = await server.app.fastify.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok" });
  });
});

describe("requests", () => {
  it("carry a request id, generated or passed through, into the response and the log line", async () => {
    const res = await server.app.fastify.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "trace-42" } });
    expect(res.headers["x-request-id"]).toBe("trace-42");
    const generated = await server.app.fastify.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "bad id!" } });
    expect(generated.headers["x-request-id"]).toMatch(/^req-/);
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.reqId === "trace-42");
    expect(line).toMatchObject({ msg: "request", method: "GET", path: "/healthz", status: 200 });
    expect(typeof line.durationMs).toBe("number");
  });

  it("log the principal and operation name, never the Authorization header", async () => {
    const token = (await server.app.services.users.create({ login: "logme" })).token.secret;
    await server.gql("query WhoAmI { viewer { kind } }", {}, { token, headers: { "x-request-id": "log-check" } });
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.reqId === "log-check");
    expect(line).toMatchObject({ operation: "WhoAmI", status: 200, principal: { kind: "USER" } });
    expect(server.logs.join("")).not.toContain(token.slice(4));
  });

  it("GET /graphql runs queries (with the CSRF header), never mutations", async () => {
    const query = encodeURIComponent("{ __typename }");
    const ok = await server.app.fastify.inject({
      method: "GET",
      url: `/graphql?query=${query}`,
      headers: { "apollo-require-preflight": "1" },
    });
    expect(ok.json()).toEqual({ data: { __typename: "Query" } });
    const csrf = await server.app.fastify.inject({ method: "GET", url: `/graphql?query=${query}` });
    expect(csrf.statusCode).toBe(400);
    const mutation = encodeURIComponent('mutation { createOrganization(input: { name: "x" }) { id } }');
    const refused = await server.app.fastify.inject({
      method: "GET",
      url: `/graphql?query=${mutation}`,
      headers: { "apollo-require-preflight": "1", authorization: `token ${(await createUser(server)).token}` },
    });
    expect(refused.statusCode).toBe(405);
  });

  it("answers syntax and validation errors with their GraphQL codes", async () => {
    const { token } = await createUser(server);
    const syntax = await server.gql("{ viewer {", {}, { token });
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors![0]!.extensions!.code).toBe("GRAPHQL_PARSE_FAILED");
    const unknown = await server.gql("{ nope }", {}, { token });
    expect(unknown.body.errors![0]!.extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("allows the configured console origin only", async () => {
    const preflight = (origin: string) =>
      server.app.fastify.inject({
        method: "OPTIONS",
        url: "/graphql",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      });
    expect((await preflight("https://console.example.test")).headers["access-control-allow-origin"]).toBe("https://console.example.test");
    expect((await preflight("https://evil.example.test")).headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("configuration", () => {
  it("stops on a bad setting with a message that says how to fix it", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: "http" }, /PORT=http .* integer/],
      [{ LOG_LEVEL: "loud" }, /LOG_LEVEL=loud .* use one of/],
      [{ SECRET_KEY: "short" }, /openssl rand -hex 32/],
      [{ CORS_ORIGINS: "console.example.test" }, /scheme:\/\/host/],
      [{ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "maybe" }, /true or false/],
      [{ DATABASE_SYNCHRONOUS: "OFF" }, /FULL .* NORMAL/],
      [{ TRUSTED_PROXIES: "proxy.local" }, /CIDR/],
    ];
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
    expect(loadConfig({})).toMatchObject({ host: "127.0.0.1", port: 4000, databaseSynchronous: "FULL", corsOrigins: [] });
  });
});

describe("first start", () => {
  it("creates the site admin once and writes its token beside the database, mode 0600", async () => {
    const other = await startTestServer();
    try {
      const file = await bootstrapSiteAdmin(other.app.services, other.databasePath);
      expect(file).toBe(join(other.dir, "gatehouse.admin-token"));
      expect(statSync(file!).mode & 0o777).toBe(0o600);
      const token = readFileSync(file!, "utf8").trim();
      const res = await other.gql("{ viewer { user { login isSiteAdmin } } }", {}, { token });
      expect(res.body.data).toEqual({ viewer: { user: { login: "admin", isSiteAdmin: true } } });
      expect(await bootstrapSiteAdmin(other.app.services, other.databasePath)).toBeNull();
      expect(other.logs.join("")).not.toContain(token.slice(4));
    } finally {
      await other.close();
    }
  });

  it("names the token file after its database and never overwrites one: two databases in one directory keep both secrets", async () => {
    const first = await startTestServer();
    try {
      const firstFile = (await bootstrapSiteAdmin(first.app.services, first.databasePath))!;
      const firstToken = readFileSync(firstFile, "utf8");
      // a second database beside the first (`DATABASE_PATH=data/demo.db`), and a stale file of a third
      const demo = await startTestServer({ DATABASE_PATH: join(first.dir, "demo.db") }, first.dir);
      writeFileSync(join(first.dir, "old.admin-token"), "a token of a database deleted since\n");
      const old = await startTestServer({ DATABASE_PATH: join(first.dir, "old.db") }, first.dir);
      try {
        expect(await bootstrapSiteAdmin(demo.app.services, join(first.dir, "demo.db"))).toBe(join(first.dir, "demo.admin-token"));
        expect(await bootstrapSiteAdmin(old.app.services, join(first.dir, "old.db"))).toBe(join(first.dir, "old.admin-token.2"));
        expect(readFileSync(firstFile, "utf8")).toBe(firstToken);
        expect(readFileSync(join(first.dir, "old.admin-token"), "utf8")).toBe("a token of a database deleted since\n");
        for (const [server, file] of [
          [demo, "demo.admin-token"],
          [old, "old.admin-token.2"],
        ] as const) {
          expect(statSync(join(first.dir, file)).mode & 0o777).toBe(0o600);
          const token = readFileSync(join(first.dir, file), "utf8").trim();
          expect((await server.gql("{ viewer { user { login } } }", {}, { token })).body.data).toEqual({
            viewer: { user: { login: "admin" } },
          });
        }
      } finally {
        await demo.close();
        await old.close();
      }
    } finally {
      await first.close();
    }
  });
});
