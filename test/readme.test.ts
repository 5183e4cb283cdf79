// The README's shell blocks marked <!-- tested -->, run top to bottom exactly as written (only
// the port is changed, and `npm run` runs the checkout's scripts on this directory's database)
// against a fresh server started the way the README starts it, in an empty directory: the
// newcomer's path from nothing to an org token, a CI job, another user and the demo
// organization; at the end every token it printed, or wrote to a file, still works.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const BLOCKS = [...README.matchAll(/<!-- tested -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

const dir = mkdtempSync(join(tmpdir(), "gatehouse-readme-"));
let server: ChildProcess;
let port = 0;

beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  // `npm start` without its build step: the same entry point, from the sources
  server = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), join(ROOT, "src/index.ts")], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: "warn", DATABASE_PATH: "", TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json") },
    stdio: "ignore",
  });
  for (let i = 0; ; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (res?.ok) break;
    if (i > 300) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(() => {
  server?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

it("the README has the tested blocks: first query, an org token, a CI job, another user and the demo", () => {
  expect(BLOCKS.length).toBe(4);
  expect(BLOCKS.at(-1)).toContain("npm run --silent demo");
});

let stdout = "";

it("runs them in an empty directory, from nothing to a CI job with an org token, then a user and the demo", () => {
  const script = ["set -euo pipefail", ...BLOCKS]
    .join("\n")
    .replaceAll("127.0.0.1:4000", `127.0.0.1:${port}`)
    .replaceAll("npm run --silent", `npm --prefix ${ROOT} run --silent`);
  // npm runs the scripts in the checkout: the database they use is this directory's, the server's
  const env = { ...process.env, DATABASE_PATH: join(dir, "data", "gatehouse.db"), LOG_LEVEL: "warn" };
  const run = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8", timeout: 120_000, env });
  stdout = run.stdout;
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  // the first curl prints no newline after its answer: split answers where one ends and the next begins
  const responses = run.stdout
    .replace(/\}\{"(data|errors)"/g, '}\n{"$1"')
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, any>);
  const created = responses.find((r) => r.user);
  expect(created).toEqual({ user: { id: expect.any(String), login: "jane" }, token: expect.stringMatching(/^gtp_/) });
  responses.splice(responses.indexOf(created!), 1);
  expect(responses.filter((r) => r.errors)).toEqual([]);
  expect(responses[0]).toEqual({ data: { viewer: { kind: "USER", user: { login: "admin", isSiteAdmin: true } } } });
  expect(responses.at(-1)).toEqual({
    data: {
      organization: {
        stack: {
          resourceCount: 1,
          lastUpdatedAt: expect.any(String),
          tags: [
            { name: "owner", value: "platform" },
            { name: "pulumi:project", value: "web" },
          ],
          updates: { nodes: [{ version: 1, status: "SUCCEEDED", startedBy: { kind: "ORGANIZATION_TOKEN", name: "ci" } }] },
        },
      },
    },
  });
  // the CI job ran as the organization token
  expect(JSON.stringify(responses)).toContain('"viewerPermission":"WRITE"');
  // the demo went into the same database, beside the quick start's organization
  expect(stdout).toMatch(/Created the demo organization "acme-corp"/);
}, 150_000);

it("every token the path printed or wrote to a file still works at the end", async () => {
  const files = readdirSync(join(dir, "data")).filter((f) => /admin-token|demo-tokens/.test(f));
  expect(files.sort()).toEqual(["gatehouse.admin-token", "gatehouse.demo-tokens.json"]);
  const written = files.map((f) => readFileSync(join(dir, "data", f), "utf8")).join("\n");
  const secrets = new Set([...`${stdout}\n${written}`.matchAll(/gt[po]_[0-9A-Za-z]{36}/g)].map((m) => m[0]));
  // admin, jane, and the demo's admin, member, billing manager, org token and site admin
  expect(secrets.size).toBe(7);
  for (const secret of secrets) {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `token ${secret}` },
      body: JSON.stringify({ query: "{ viewer { kind } }" }),
    });
    expect(res.status, `${secret.slice(0, 8)}…`).toBe(200);
  }
});
