import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function admin(...args: string[]) {
  const res = spawnSync("npm", ["run", "--silent", "admin", "--", ...args], {
    encoding: "utf8",
    env: { ...process.env, DATABASE_PATH: join(dir, "cli.db") },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe("npm run --silent admin -- create-user", () => {
  it("prints the user and a working token as JSON; refuses a taken or invalid login on stderr", () => {
    const created = admin("create-user", "--login", "ops", "--name", "Ops Person", "--email", "ops@example.test", "--site-admin");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toEqual({ user: { id: expect.any(String), login: "ops" }, token: expect.stringMatching(/^gtp_[0-9A-Za-z]{36}$/) });

    const taken = admin("create-user", "--login", "OPS");
    expect(taken.code).toBe(1);
    expect(taken.stdout).toBe("");
    expect(taken.stderr).toMatch(/login "OPS" is taken/);

    const invalid = admin("create-user", "--login", "no spaces please");
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/invalid login/);

    const missing = admin("create-user");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--login is required/);

    const help = admin("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/create-user --login L/);
  }, 30_000);
});
