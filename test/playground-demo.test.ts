// Issue 6, done when: "`npm run demo` then the playground shows the demo organization's stacks
// for the admin token and the refusal for a member on an admin-only field". The demo runner
// (in-process, as test/demo.test.ts does) fills a fresh database; the real server runs on it
// on an ephemeral port; headless Chromium (test/support/playground-browser.ts) opens the
// playground with every other origin blocked, and a person's steps are played: paste the
// token from gatehouse.demo-tokens.json into the header editor, type a query, press ▶, read the result.
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kind, type OperationDefinitionNode, parse } from "graphql";
import type { Locator, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import type { DemoSecret } from "../src/scripts/demo-data.js";
import { EXAMPLE_OPERATIONS, EXAMPLE_VARIABLES } from "../src/http/playground/examples.js";
import { runDemo } from "../src/scripts/demo.js";
import { hasChromium, launchChromium, MISSING_CHROMIUM, watchPage } from "./support/playground-browser.js";
import { startTestServer, type TestServer, testBackend } from "./support/test-server.js";

// The page's document, inside page.waitForFunction() callbacks (no DOM lib in the project).
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const ORG = "acme-corp";
// Several lines, so that the screenshots show all of each query.
const STACKS = `{
  organization(name: "${ORG}") {
    stacks(first: 5) {
      totalCount
      nodes { fullyQualifiedName viewerPermission }
    }
  }
}`;
const ORG_TOKENS = `{
  organization(name: "${ORG}") {
    accessTokens { name }
  }
}`;

const dir = mkdtempSync(join(tmpdir(), "gatehouse-playground-demo-"));
const databasePath = join(dir, "gatehouse.db");
let server: TestServer | undefined;
afterAll(async () => {
  try {
    await server?.close(); // started on `dir` (reuseDir): it leaves the directory to us
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `npm run demo` with DATABASE_PATH in a fresh directory, what it printed, and the tokens it saved beside it. */
let demo: { printed: string[]; saved: DemoSecret[]; origin: string } | undefined;
async function demoServer() {
  if (demo) return demo;
  const printed: string[] = [];
  const env: Record<string, string> = { DATABASE_PATH: databasePath, DATABASE_SYNCHRONOUS: "NORMAL", LOG_LEVEL: "silent" };
  if (testBackend() === "postgres") {
    // PostgreSQL: the server's own database first, then the demo on it (as `DATABASE_URL=… npm run
    // demo` with the server's SECRET_KEY); the tokens file still goes beside DATABASE_PATH
    env.SECRET_KEY = randomBytes(32).toString("hex");
    server = await startTestServer({ SECRET_KEY: env.SECRET_KEY }, dir);
    if (!server.postgres?.url) throw new Error("the demo needs a PostgreSQL server (DATABASE_URL), not PGlite");
    env.DATABASE_URL = server.postgres.url;
  }
  const result = await runDemo(env, (l) => printed.push(l));
  expect(result.created).toBe(true);
  expect(result.tokensFile).toBe(join(dir, "gatehouse.demo-tokens.json"));
  const saved = (JSON.parse(readFileSync(result.tokensFile, "utf8")) as { tokens: DemoSecret[] }).tokens;
  // SQLite: the real server on that database (as `DATABASE_PATH=… npm start`), on 127.0.0.1.
  server ??= await startTestServer({}, dir);
  const origin = await server.app.fastify.listen({ host: "127.0.0.1", port: 0 });
  demo = { printed, saved, origin };
  return demo;
}

/** The demo organization's stacks, straight from the database, in the API's page order. */
async function demoStacks(): Promise<string[]> {
  const sql = `SELECT o.name || '/' || s.project || '/' || s.name AS fqn FROM stacks s
    JOIN organizations o ON o.id = s.organization_id WHERE lower(o.name) = $1 ORDER BY s.seq`;
  return (await server!.sql<{ fqn: string }>(sql, [ORG])).map((r) => r.fqn);
}

/** Writes a screenshot into the test's temp directory; PLAYGROUND_SCREENSHOTS=<dir> keeps a copy. */
async function screenshot(page: Page, name: string) {
  const file = join(dir, name);
  await page.screenshot({ path: file });
  expect(readFileSync(file).subarray(1, 4).toString()).toBe("PNG");
  const keep = process.env.PLAYGROUND_SCREENSHOTS;
  if (keep) copyFileSync(file, join(keep, name));
}

const title = hasChromium
  ? "npm run demo, then the playground: acme-corp's stacks for the admin, a FORBIDDEN refusal for a member on an admin-only field"
  : `SKIPPED: ${MISSING_CHROMIUM}`;

describe("the playground on the demo data", () => {
  it.skipIf(!hasChromium)(title, { timeout: 60_000 }, async () => {
    const { printed, saved, origin } = await demoServer();
    const tokenOf = (role: string) => {
      const token = saved.find((t) => t.role === role)!;
      expect(
        printed.some((line) => line.includes(token.secret)),
        `${role} token printed`,
      ).toBe(true);
      return token;
    };
    const [admin, member] = [tokenOf("admin"), tokenOf("member")];
    expect([admin.principal, member.principal]).toEqual(["alice", "bob"]);
    const stacks = await demoStacks();
    expect(stacks.length).toBeGreaterThan(5);

    const context = await launchChromium(join(dir, "chromium-profile"));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const { blocked, failures, graphqlPosts } = await watchPage(page, origin);
      expect((await page.goto(`${origin}/graphql`, { waitUntil: "load" }))!.status()).toBe(200);
      // The schema docs have loaded; close them to give the editors the room.
      await page.locator(".graphiql-doc-explorer-root-type").first().waitFor({ timeout: 20_000 });
      await page.getByRole("button", { name: "Hide Documentation Explorer" }).click();

      const queryEditor = page.locator(".graphiql-query-editor .CodeMirror");
      const headerEditor = page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror');
      const resultWindow = page.locator(".graphiql-response .result-window");
      const editorValue = (editor: Locator) =>
        editor.evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());

      /** Pastes a token as a person types it, enters `query`, presses ▶; the result as shown. */
      async function runAs(token: DemoSecret, query: string, shows: string) {
        await headerEditor.click();
        await page.keyboard.press("ControlOrMeta+A");
        await page.keyboard.press("Backspace");
        await page.keyboard.type(`{"Authorization": "token ${token.secret}"}`);
        expect(JSON.parse(await editorValue(headerEditor))).toEqual({ Authorization: `token ${token.secret}` });
        await page.keyboard.press("Home"); // the line's start in view, for the screenshot
        await queryEditor.click();
        await page.keyboard.press("ControlOrMeta+A");
        await page.keyboard.insertText(query);
        expect(await editorValue(queryEditor)).toBe(query);
        // GraphiQL re-reads the document after a short debounce: the tab's title says when.
        await page.locator(".graphiql-tab-active").filter({ hasText: "<untitled>" }).waitFor();
        const posts = graphqlPosts.length;
        await page.locator(".graphiql-execute-button").click();
        await page.waitForFunction(
          (text) => document.querySelector(".graphiql-response .result-window")?.textContent?.includes(text),
          shows,
          { timeout: 10_000 },
        );
        const sent = graphqlPosts.slice(posts);
        expect(sent.map((r) => r.postDataJSON().query)).toEqual([query]);
        expect((await sent[0]!.allHeaders()).authorization).toBe(`token ${token.secret}`);
        return {
          shown: (await resultWindow.textContent())!,
          result: JSON.parse(await editorValue(resultWindow.locator(".CodeMirror"))) as {
            data?: any;
            errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
          },
        };
      }

      // The admin (alice): the organization's stacks, with ADMIN on each.
      const asAdmin = await runAs(admin, STACKS, `"${ORG}/`);
      expect(asAdmin.result).toEqual({
        data: {
          organization: {
            stacks: {
              totalCount: stacks.length,
              nodes: stacks.slice(0, 5).map((fullyQualifiedName) => ({ fullyQualifiedName, viewerPermission: "ADMIN" })),
            },
          },
        },
      });
      expect(asAdmin.shown).toContain(`"totalCount": ${stacks.length}`);
      expect(asAdmin.shown).toContain(`"fullyQualifiedName": "${ORG}/web-api/`);
      await screenshot(page, "playground-demo-admin-stacks.png");

      // A member (bob): the organization's tokens are for its admins; a FORBIDDEN refusal.
      const asMember = await runAs(member, ORG_TOKENS, '"FORBIDDEN"');
      expect(asMember.result.data).toEqual({ organization: { accessTokens: null } });
      expect(asMember.result.errors).toHaveLength(1);
      const [refusal] = asMember.result.errors!;
      expect(refusal!.extensions?.code).toBe("FORBIDDEN");
      expect(refusal!.path).toEqual(["organization", "accessTokens"]);
      expect(refusal!.message).toMatch(/\S/);
      expect(asMember.shown).toContain(`"message": ${JSON.stringify(refusal!.message)}`);
      expect(asMember.shown).toContain('"code": "FORBIDDEN"');
      expect(asMember.shown).toContain('"accessTokens": null');
      await screenshot(page, "playground-demo-member-refusal.png");

      expect(blocked, "requests to another origin").toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });
  const examplesTitle = hasChromium
    ? "every example operation runs as shipped (its variables as the page opens them) with the demo admin's token"
    : `SKIPPED: ${MISSING_CHROMIUM}`;
  it.skipIf(!hasChromium)(examplesTitle, { timeout: 60_000 }, async () => {
    const { saved, origin } = await demoServer();
    const admin = saved.find((t) => t.role === "admin")!;
    const operations = parse(EXAMPLE_OPERATIONS).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    expect(operations.map((o) => o.name?.value)).toEqual(["WhoAmI", "ListStacks", "CreateOrgToken", "AuditLog"]);

    const context = await launchChromium(join(dir, "chromium-profile-examples"));
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const { blocked, failures } = await watchPage(page, origin);
      await page.goto(`${origin}/graphql`, { waitUntil: "load" });
      await page.locator(".graphiql-doc-explorer-root-type").first().waitFor({ timeout: 20_000 });
      const cm = (selector: string) => page.locator(selector).first();
      const editorValue = (editor: Locator) =>
        editor.evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());

      // The Variables editor shows what the examples need, as shipped.
      await page.getByRole("button", { name: "Variables" }).click();
      const variablesEditor = cm('section.graphiql-editor-tool[aria-label="Variables"] .graphiql-editor:not(.hidden) .CodeMirror');
      expect(JSON.parse(await editorValue(variablesEditor))).toEqual(JSON.parse(EXAMPLE_VARIABLES));

      // The person's one step: paste the token into the header editor.
      await page.getByRole("button", { name: "Headers" }).click();
      const headerEditor = cm('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror');
      await headerEditor.click();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.press("Backspace");
      await page.keyboard.type(`{"Authorization": "token ${admin.secret}"}`);

      const queryEditor = cm(".graphiql-query-editor .CodeMirror");
      expect(await editorValue(queryEditor)).toBe(EXAMPLE_OPERATIONS);
      for (const operation of operations) {
        const name = operation.name!.value;
        // the cursor in the operation, then Ctrl-Enter: what the playground's first lines say to do
        const line = operation.loc!.startToken.line; // 1-based: the line after the keyword's
        await queryEditor.evaluate((el, at) => {
          const editor = (el as unknown as { CodeMirror: { focus(): void; setCursor(p: { line: number; ch: number }): void } }).CodeMirror;
          editor.focus();
          editor.setCursor({ line: at, ch: 2 });
        }, line);
        const answered = page.waitForResponse((r) => r.url() === `${origin}/graphql` && r.request().postDataJSON()?.operationName === name);
        await page.keyboard.press("Control+Enter");
        const response = await answered;
        const sent = response.request().postDataJSON() as { variables?: unknown };
        const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: unknown[] };
        expect(body.errors, `${name}: ${JSON.stringify(body.errors)}`).toBeUndefined();
        expect(body.data, name).toBeTruthy();
        for (const value of Object.values(body.data!)) expect(value, `${name} answered null`).not.toBeNull();
        if (operation.variableDefinitions?.length) expect(sent.variables).toEqual(JSON.parse(EXAMPLE_VARIABLES));
      }
      await screenshot(page, "playground-demo-examples.png");
      expect(blocked, "requests to another origin").toEqual([]);
      expect(failures).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
