// The README's shell blocks marked <!-- tested -->, run exactly as written (only the port is
// changed) against a fresh server started the way the README starts it, in an empty
// directory: from nothing to an org token, to what a CI job does with it.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

it("the README has the tested blocks: first query, an org token, a CI job", () => {
  expect(BLOCKS.length).toBe(3);
});

it("runs them in an empty directory, from nothing to a CI job with an org token", () => {
  const script = ["set -euo pipefail", ...BLOCKS].join("\n").replaceAll("127.0.0.1:4000", `127.0.0.1:${port}`);
  const run = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  // the first curl prints no newline after its answer: split answers where one ends and the next begins
  const responses = run.stdout
    .replace(/\}\{"(data|errors)"/g, '}\n{"$1"')
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
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
});
