// The playground (CONTRACT.md §1): GET /graphql from a browser serves GraphiQL from the
// project's own packages, with strict security headers. The last test drives it in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core) against the real server on
// an ephemeral port, with every request to another origin aborted: it works offline.
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { NoDeprecatedCustomRule, parse, type OperationDefinitionNode, validate } from "graphql";
import { buildBareSchema } from "../src/graphql/schema.js";
import type { Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { playgroundCsp } from "../src/http/playground.js";
import { DEFAULT_HEADERS, EXAMPLE_OPERATIONS, EXAMPLE_VARIABLES } from "../src/http/playground/examples.js";
import { createOrg, createUser } from "./support/factories.js";
import { CHROMIUM, hasChromium, launchChromium } from "./support/playground-browser.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

// The page's document, inside page.evaluate() callbacks (the project type-checks without the DOM lib).
declare const document: {
  addEventListener(type: "securitypolicyviolation", listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ nonce?: string; sheet: unknown }>;
};
declare const localStorage: Record<string, string>;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const inject = (url: string, headers: Record<string, string> = {}) => server.app.fastify.inject({ method: "GET", url, headers });

/** The page's nonce, from its CSP header. */
function nonceOf(headers: Record<string, unknown>): string {
  return /'nonce-([A-Za-z0-9+/]{22}==)'/.exec(String(headers["content-security-policy"]))![1]!;
}

function expectSecurityHeaders(headers: Record<string, unknown>, nonce?: string) {
  const csp = String(headers["content-security-policy"]);
  expect(csp).toBe(playgroundCsp(nonce));
  expect(csp).toContain("default-src 'none'; script-src 'self'; style-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/unsafe-|\*|https?:/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
  expect(headers["x-frame-options"]).toBe("DENY");
}

/** The asset URLs the page links to, in order. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/playground\/[^"]+)"/g)].map((m) => m[1]!);
}

describe("GET /graphql from a browser", () => {
  it("serves the playground page with strict security headers, no inline code, no secret", async () => {
    const res = await inject("/graphql", { accept: BROWSER_ACCEPT });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const nonce = nonceOf(res.headers);
    expectSecurityHeaders(res.headers, nonce);
    expect(res.headers["cache-control"]).toBe("no-store");
    const html = res.body;
    expect(html.match(/nonce="[^"]*"/g)).toEqual([`nonce="${nonce}"`]); // on our script only
    expect(nonceOf((await inject("/graphql", { accept: BROWSER_ACCEPT })).headers)).not.toBe(nonce);
    expect(html).toContain("<title>Gatehouse GraphQL playground</title>");
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/); // no inline script
    expect(html).not.toMatch(/<style|\sstyle=/); // no inline style
    expect(html).not.toMatch(/gt[po]_/); // no token
    expect(assetUrls(html).map((url) => url.split("/").pop())).toEqual([
      "graphiql.css",
      "playground.css",
      "react.js",
      "react-dom.js",
      "graphiql.js",
      "playground.js",
    ]);
  });

  it("serves the assets from the installed packages: immutable, nosniff, gzip on request", async () => {
    const page = await inject("/graphql", { accept: "text/html" });
    for (const url of assetUrls(page.body)) {
      const res = await inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toBe(url.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expectSecurityHeaders(res.headers);
      const zipped = await inject(url, { "accept-encoding": "gzip, deflate, br" });
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(zipped.rawPayload).equals(res.rawPayload)).toBe(true);
    }
    const graphiql = assetUrls(page.body).find((url) => url.endsWith("/graphiql.js"))!;
    expect((await inject(graphiql)).body).toBe(
      readFileSync("node_modules/graphiql/graphiql.min.js", "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"),
    );
    const script = (await inject(assetUrls(page.body).find((url) => url.endsWith("/playground.js"))!)).body;
    expect(script).toContain(JSON.stringify(DEFAULT_HEADERS));
    expect(script).toContain(JSON.stringify(EXAMPLE_OPERATIONS));

    const build = graphiql.split("/")[2];
    expect((await inject("/playground/0000000000000000/graphiql.js")).statusCode).toBe(404);
    expect((await inject(`/playground/${build}/package.json`)).statusCode).toBe(404);
    expect((await inject(`/playground/${build}/..%2F..%2Fpackage.json`)).statusCode).toBe(404);
  });

  it("leaves non-browser GETs as they were: JSON, never the page", async () => {
    for (const accept of ["application/json", "*/*", "application/graphql-response+json"]) {
      const bare = await inject("/graphql", { accept });
      expect(bare.statusCode, accept).toBe(400); // Apollo's CSRF prevention, as before
      expect(bare.headers["content-type"]).toMatch(/^application\/(graphql-response\+)?json/);
      expect(bare.headers["content-security-policy"]).toBeUndefined();
      expect(bare.body).not.toContain("<html");
    }
    const query = encodeURIComponent("{ __typename }");
    const ok = await inject(`/graphql?query=${query}`, { accept: "application/json", "apollo-require-preflight": "1" });
    expect(ok.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("opens with example operations that all run for an organization admin", async () => {
    const org = await createOrg(server);
    const names = parse(EXAMPLE_OPERATIONS).definitions.map((d) => (d as OperationDefinitionNode).name!.value);
    expect(names).toEqual(["WhoAmI", "ListStacks", "CreateOrgToken", "AuditLog"]);
    const variables = { ...JSON.parse(EXAMPLE_VARIABLES), organization: org.name, tokenName: "playground-ci" };
    for (const operationName of names) {
      const res = await server.app.fastify.inject({
        method: "POST",
        url: "/graphql",
        headers: { "content-type": "application/json", authorization: `token ${org.admin.token}` },
        payload: JSON.stringify({ query: EXAMPLE_OPERATIONS, operationName, variables }),
      });
      expect(res.json().errors, operationName).toBeUndefined();
      expect(res.statusCode).toBe(200);
    }
  });

  it("shows newcomers no deprecated field or argument", () => {
    const errors = validate(buildBareSchema(), parse(EXAMPLE_OPERATIONS), [NoDeprecatedCustomRule]);
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});

/** Writes a screenshot into the test's temp directory. */
async function screenshot(page: Page, name: string) {
  const file = join(server.dir, name);
  await page.screenshot({ path: file });
  expect(readFileSync(file).subarray(1, 4).toString()).toBe("PNG");
  const keep = process.env.PLAYGROUND_SCREENSHOTS;
  if (keep) copyFileSync(file, join(keep, name));
}

const browserTest = hasChromium
  ? "works in headless Chromium with no other origin reachable: docs, header editor, a query with a token"
  : `SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`;

describe("the playground in a browser", () => {
  it.skipIf(!hasChromium)(browserTest, { timeout: 90_000 }, async () => {
    const origin = await server.app.fastify.listen({ host: "127.0.0.1", port: 0 });
    const alice = await createUser(server, { name: "Alice Playground" });
    await createOrg(server, { admin: alice });

    const context = await launchChromium(join(server.dir, "chromium-profile"));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const blocked: string[] = [];
      const failures: string[] = [];
      const graphqlPosts: Request[] = [];
      // The network is this server and nothing else.
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (new URL(url).origin === origin) return route.continue();
        blocked.push(url);
        return route.abort("blockedbyclient");
      });
      // CSP violations, script errors, failed or refused requests all fail the test.
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      page.on("console", (m) => void (m.type() === "error" && failures.push(`console: ${m.text()}`)));
      page.on("pageerror", (e) => void failures.push(`page error: ${e.message}`));
      page.on("requestfailed", (r) => void failures.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
      page.on("response", (r) => void (r.status() >= 400 && failures.push(`HTTP ${r.status()}: ${r.url()}`)));
      page.on("request", (r) => void (r.method() === "POST" && r.url() === `${origin}/graphql` && graphqlPosts.push(r)));

      const response = await page.goto(`${origin}/graphql`, { waitUntil: "load" });
      expect(response!.status()).toBe(200);
      expectSecurityHeaders(await response!.allHeaders(), nonceOf(await response!.allHeaders()));

      // The schema docs, from an introspection sent without the placeholder token.
      const docs = page.locator(".graphiql-doc-explorer");
      await docs.locator(".graphiql-doc-explorer-root-type").first().waitFor({ timeout: 30_000 });
      await screenshot(page, "playground-start.png");
      expect(await docs.textContent()).toMatch(/query:\s*Query.*mutation:\s*Mutation/);
      const introspection = graphqlPosts.find((r) => r.postDataJSON().operationName === "IntrospectionQuery");
      expect(introspection).toBeDefined();
      expect((await introspection!.allHeaders()).authorization).toBeUndefined();

      // The example operations, and the header editor with its placeholder.
      const queryEditor = page.locator(".graphiql-query-editor .CodeMirror");
      const headerEditor = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror');
      const editorValue = (editor: typeof queryEditor) =>
        editor.evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
      expect(await editorValue(queryEditor)).toBe(EXAMPLE_OPERATIONS);
      expect(await editorValue(headerEditor)).toBe(DEFAULT_HEADERS);

      // The operation menu (▶ with several operations) and a dialog add a <style> element:
      // it needs the page's nonce (a CSP violation would be in `failures`).
      const nonceStyleApplied = () => page.evaluate(() => [...document.querySelectorAll("style")].some((s) => s.nonce && s.sheet));
      await page.locator(".graphiql-execute-button").click();
      await page.getByRole("menuitem", { name: "ListStacks" }).waitFor();
      expect(await nonceStyleApplied()).toBe(true);
      await page.keyboard.press("Escape");
      await page.locator('[aria-label="Open settings dialog"]').click();
      await page.getByRole("dialog").waitFor();
      expect(await nonceStyleApplied()).toBe(true);
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "detached" });

      // Paste a token into the header editor, as a person would type it.
      await headerEditor.click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Backspace");
      await page.keyboard.type(`{"Authorization": "token ${alice.token}"}`);
      expect(JSON.parse(await editorValue(headerEditor))).toEqual({ Authorization: `token ${alice.token}` });

      // Replace the examples with one query and run it.
      await queryEditor.click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.insertText("{ viewer { user { login } } }");
      // GraphiQL re-reads the document after a short debounce: the tab's title says when.
      await page.locator(".graphiql-tab-active").filter({ hasText: "<untitled>" }).waitFor();
      await page.locator(".graphiql-execute-button").click();
      const result = page.locator(".graphiql-response .result-window");
      await page.waitForFunction(
        (login) => document.querySelector(".graphiql-response .result-window")?.textContent?.includes(`"${login}"`),
        alice.user.login,
        { timeout: 20_000 },
      );
      expect(await result.textContent()).toContain(`"login": "${alice.user.login}"`);
      const run = graphqlPosts.find((r) => r.postDataJSON().query === "{ viewer { user { login } } }")!;
      expect((await run.allHeaders()).authorization).toBe(`token ${alice.token}`);
      expect((await run.allHeaders())["content-type"]).toBe("application/json");
      // GraphiQL keeps its tabs and history in localStorage, never the headers.
      const stored = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
      expect(stored).toMatch(/graphiql:queries.*viewer \{ user \{ login/);
      expect(stored).not.toContain(alice.token);

      // What a person sees; PLAYGROUND_SCREENSHOTS=<dir> keeps copies (the temp dir goes).
      await screenshot(page, "playground.png");

      expect(blocked, "requests to another origin").toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
