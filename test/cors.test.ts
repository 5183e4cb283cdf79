// CORS for a console on another origin (CORS_ORIGINS): real preflight and simple requests
// over a socket, and a real browser (headless Chromium) on a second loopback origin reading
// what a console needs — the request id, Retry-After, Content-Disposition — and refused when
// its origin differs in any part (localhost is not 127.0.0.1).
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrg, type UserFixture } from "./support/factories.js";
import { hasChromium, launchChromium } from "./support/playground-browser.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request over the socket, headers exactly as given (Origin included). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const EXPOSED = ["x-request-id", "retry-after", "content-disposition"];
const exposed = (headers: IncomingHttpHeaders) =>
  String(headers["access-control-expose-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

/** The console's page: an empty document on its own loopback origin. */
function startConsolePage(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>console</title>");
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

let consolePage: { server: Server; port: number };
let consoleOrigin: string;
let api: TestServer;
let base: string;
let user: UserFixture;
let orgName: string;

beforeAll(async () => {
  consolePage = await startConsolePage();
  consoleOrigin = `http://127.0.0.1:${consolePage.port}`;
  api = await startTestServer({ CORS_ORIGINS: consoleOrigin });
  base = await api.app.fastify.listen({ host: "127.0.0.1", port: 0 });
  const org = await createOrg(api);
  user = org.admin;
  orgName = org.name;
  await api.committed();
});
afterAll(async () => {
  await api.close();
  await new Promise((resolve) => consolePage.server.close(resolve));
});

const graphqlPost = (origin: string, token: string | null, query = "{ viewer { kind } }") =>
  send(
    base,
    "POST",
    "/graphql",
    { origin, "content-type": "application/json", ...(token ? { authorization: `token ${token}` } : {}) },
    JSON.stringify({ query }),
  );
const preflight = (origin: string) =>
  send(base, "OPTIONS", "/graphql", {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type",
  });

describe("an allowed origin", () => {
  it("passes the preflight of an authenticated JSON POST", async () => {
    const res = await preflight(consoleOrigin);
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(consoleOrigin);
    expect(String(res.headers["access-control-allow-methods"])).toMatch(/POST/);
    expect(String(res.headers["access-control-allow-headers"]).toLowerCase()).toMatch(/authorization/);
    expect(res.headers["access-control-max-age"]).toBe("600");
  });

  it("may read X-Request-Id, Retry-After and Content-Disposition, on answers and on refusals", async () => {
    const ok = await graphqlPost(consoleOrigin, user.token);
    expect(ok.status).toBe(200);
    expect(ok.headers["access-control-allow-origin"]).toBe(consoleOrigin);
    expect(exposed(ok.headers)).toEqual(EXPOSED);
    expect(ok.headers["x-request-id"]).toMatch(/^req-/);
    const unauthenticated = await graphqlPost(consoleOrigin, "gtp_not-a-token");
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers["access-control-allow-origin"]).toBe(consoleOrigin);
    expect(exposed(unauthenticated.headers)).toEqual(EXPOSED);
    const exported = await send(base, "GET", `/api/orgs/${orgName}/auditlogs/export?format=csv`, {
      origin: consoleOrigin,
      authorization: `token ${user.token}`,
    });
    expect(exported.status).toBe(200);
    expect(exported.headers["access-control-allow-origin"]).toBe(consoleOrigin);
    expect(exposed(exported.headers)).toContain("content-disposition");
    expect(exported.headers["content-disposition"]).toMatch(/^attachment; filename="auditlog-/);
  });
});

describe("a refused origin", () => {
  it("gets no Access-Control-Allow-Origin: localhost is not 127.0.0.1, and scheme and port count", async () => {
    const others = [
      `http://localhost:${consolePage.port}`,
      `http://127.0.0.1:${consolePage.port + 1}`,
      `https://127.0.0.1:${consolePage.port}`,
      "https://console.example.test",
    ];
    for (const origin of others) {
      const pre = await preflight(origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers["access-control-allow-origin"], origin).toBeUndefined();
      // a simple request is answered, but without the header a browser withholds the answer
      const res = await graphqlPost(origin, user.token);
      expect(res.headers["access-control-allow-origin"], origin).toBeUndefined();
    }
  });
});

describe("rate-limited answers", () => {
  it("carry Retry-After that the console may read", async () => {
    const limited = await startTestServer({ CORS_ORIGINS: consoleOrigin, RATE_LIMIT_AUTH_FAILURES_PER_IP: "2", LOG_LEVEL: "warn" });
    try {
      const at = await limited.app.fastify.listen({ host: "127.0.0.1", port: 0 });
      const post = () =>
        send(at, "POST", "/graphql", { origin: consoleOrigin, "content-type": "application/json", authorization: "token gtp_bad" }, "{}");
      for (let i = 0; i < 3; i++) await post();
      const res = await post();
      expect(res.status).toBe(429);
      expect(res.headers["access-control-allow-origin"]).toBe(consoleOrigin);
      expect(exposed(res.headers)).toContain("retry-after");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

// ---------------------------------------------------------------- in a browser

// The page's fetch and document, inside page.evaluate() callbacks (no DOM lib in the project).
declare const fetch: (
  url: string,
  init: Record<string, unknown>,
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<any>;
}>;

describe.skipIf(!hasChromium)("a console in Chromium", () => {
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "gatehouse-cors-"));
    browser = await launchChromium(profile);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** Opens the console page at `origin` and runs fetch calls to the API from there. */
  async function fromConsole(origin: string, calls: Array<{ path: string; init: Record<string, unknown> }>) {
    // No page.route() here: Playwright answers the CORS preflight of an intercepted request
    // itself, which would hide the server's. The page is an empty document that loads nothing;
    // it fetches only the loopback URLs below.
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    try {
      return await page.evaluate(
        async ({ api, calls }) => {
          const results = [];
          for (const call of calls) {
            try {
              const res = await fetch(`${api}${call.path}`, call.init);
              results.push({
                status: res.status,
                requestId: res.headers.get("x-request-id"),
                disposition: res.headers.get("content-disposition"),
                body: call.path === "/graphql" ? await res.json() : null,
              });
            } catch (error) {
              results.push({ error: String(error) });
            }
          }
          return results;
        },
        { api: base, calls },
      );
    } finally {
      await page.close();
    }
  }

  const post = (token: string) => ({
    path: "/graphql",
    init: {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    },
  });

  it("reads answers, refusals and their request ids from the allowed origin", async () => {
    const exportCall = {
      path: `/api/orgs/${orgName}/auditlogs/export?format=csv`,
      init: { headers: { authorization: `token ${user.token}` } },
    };
    const [ok, refused, exported] = await fromConsole(consoleOrigin, [post(user.token), post("gtp_not-a-token"), exportCall]);
    expect(ok).toMatchObject({ status: 200, requestId: expect.stringMatching(/^req-/), body: { data: { viewer: { kind: "USER" } } } });
    expect(refused).toMatchObject({
      status: 401,
      requestId: expect.stringMatching(/^req-/),
      body: { errors: [{ extensions: { code: "UNAUTHENTICATED" } }] },
    });
    expect(exported).toMatchObject({ status: 200, disposition: expect.stringMatching(/^attachment; filename="auditlog-/) });
  });

  it("is refused from http://localhost:<same port>: the fetch fails and the mutation is never sent", async () => {
    const before = api.logs.length;
    const mutation = {
      path: "/graphql",
      init: {
        method: "POST",
        headers: { authorization: `token ${user.token}`, "content-type": "application/json" },
        body: JSON.stringify({ query: 'mutation { createOrganization(input: { name: "from-localhost" }) { id } }' }),
      },
    };
    const [result] = await fromConsole(`http://localhost:${consolePage.port}`, [mutation]);
    expect(result).toEqual({ error: expect.stringMatching(/TypeError: Failed to fetch/) });
    expect(await api.app.services.organizations.findByName("from-localhost")).toBeUndefined();
    // only the preflight reached the server
    const lines = api.logs
      .slice(before)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === "request");
    expect(lines.map((l) => l.method)).toEqual(["OPTIONS"]);
  });
});
