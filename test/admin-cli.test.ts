import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runAdminCli } from "../src/cli/admin.js";
import { DATE_TIME_FORMS } from "../src/lib/date-time.js";
import { createOrg, createUser } from "./support/factories.js";
import { openTestPostgres, type TestPostgres } from "./support/postgres.js";
import { startTestServer, testBackend, type TestServer } from "./support/test-server.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI's environment for a database: the SQLite file, or (the PostgreSQL pass) that PostgreSQL database. */
function databaseEnv(databasePath: string, postgres: TestPostgres | null): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_PATH: databasePath };
  if (postgres) {
    if (!postgres.url) throw new Error("the admin CLI needs a PostgreSQL server (PGlite has no URL)");
    // webhook secrets and cursors are not the CLI's business: any key does
    Object.assign(env, { DATABASE_URL: postgres.url, SECRET_KEY: "0".repeat(64) });
  }
  return env;
}

let standalone: TestPostgres | null = null;
beforeAll(async () => {
  if (testBackend() === "postgres") standalone = await openTestPostgres();
});
afterAll(() => standalone?.close());

function admin(...args: string[]) {
  const res = spawnSync("npm", ["run", "--silent", "admin", "--", ...args], {
    encoding: "utf8",
    env: databaseEnv(join(dir, "cli.db"), standalone),
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

// ---------------------------------------------------------------- the other commands
// Against the database of a real test server, so what the CLI issues or revokes is checked
// through the API. Three spawns prove the npm entry point; the rest run in-process.

describe("admin CLI: list-users, set-subscription, create-org-token, revoke-token", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  const env = () => databaseEnv(server.databasePath, server.postgres);

  function spawnAdmin(...args: string[]) {
    const res = spawnSync("npm", ["run", "--silent", "admin", "--", ...args], { encoding: "utf8", env: env() });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  }

  /** runAdminCli in this process, with what it printed. */
  async function cli(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
    const error = vi.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
    try {
      const code = await runAdminCli(args, env());
      return { code, stdout: out.join("\n"), stderr: err.join("\n"), json: () => JSON.parse(out.join("\n")) };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  const auditOf = (organizationId: string) =>
    server.sql<{
      event: string;
      description: string;
      user_login: string | null;
      token_id: string | null;
      user_agent: string | null;
    }>("SELECT event, description, user_login, token_id, user_agent FROM audit_events WHERE organization_id = $1 ORDER BY id DESC", [
      organizationId,
    ]);

  it("npm entry point: subscription, a CI token that works, its revocation on the next request, and --help", async () => {
    const org = await createOrg(server, { tier: "TEAM" });
    await server.committed();

    const tier = spawnAdmin("set-subscription", "--org", org.name, "--tier", "ENTERPRISE_GROWTH");
    expect(tier.stderr).toBe("");
    expect(JSON.parse(tier.stdout)).toEqual({
      organization: { name: org.name, tier: "ENTERPRISE_GROWTH", trialEndsAt: null, previousTier: "TEAM" },
    });

    const created = spawnAdmin("create-org-token", "--org", org.name, "--name", "ci", "--description", "GitHub Actions");
    expect(created.stderr).toBe("");
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({
      token: { id: expect.any(String), name: "ci", organization: org.name },
      secret: expect.stringMatching(/^gto_[0-9A-Za-z]{36}$/),
      createdBy: org.admin.user.login,
    });
    const viewer = await server.gql("{ viewer { kind organizationToken { name createdBy { login } } } }", {}, { token: out.secret });
    expect(viewer.body.data?.viewer).toEqual({
      kind: "ORGANIZATION_TOKEN",
      organizationToken: { name: "ci", createdBy: { login: org.admin.user.login } },
    });

    const revoked = spawnAdmin("revoke-token", "--id", out.token.id);
    expect(revoked.stderr).toBe("");
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      revoked: { id: out.token.id, kind: "ORGANIZATION", organization: org.name, name: "ci" },
    });
    expect((await server.gql("{ viewer { kind } }", {}, { token: out.secret })).status).toBe(401);

    const [deleted, tokenCreated] = await auditOf(org.organization.id);
    // revoked as the system: no user or token is recorded as the actor, the description names the CLI
    expect(deleted).toMatchObject({ event: "organization-token-deleted", user_login: null, token_id: null });
    expect(deleted!.description).toMatch(/"ci".*admin CLI/);
    // created by the CLI: the event names the system as the actor, the admin as the token's creator
    expect(tokenCreated).toMatchObject({ event: "organization-token-created", user_login: null, token_id: null });
    expect(tokenCreated!.description).toContain(`by the admin CLI, recorded as created by "${org.admin.user.login}"`);

    const help = spawnAdmin("--help");
    for (const command of ["create-user", "list-users", "set-subscription", "create-org-token", "revoke-token"]) {
      expect(help.stdout).toContain(`  ${command}`);
    }
  }, 30_000);

  it("list-users prints every user as JSON", async () => {
    const user = await createUser(server, { name: "Listed Person", email: "listed@example.test" });
    await server.committed();
    const res = await cli("list-users");
    expect(res.code).toBe(0);
    const users = res.json() as Record<string, unknown>[];
    expect(users.find((u) => u.login === user.user.login)).toEqual({
      id: user.user.id,
      login: user.user.login,
      name: "Listed Person",
      email: "listed@example.test",
      isSiteAdmin: false,
      createdAt: user.user.createdAt.toISOString(),
    });
  });

  it("set-subscription: trials, and errors that say what to do", async () => {
    const org = await createOrg(server, { tier: "TEAM" });
    await server.committed();
    const trial = await cli(
      "set-subscription",
      "--org",
      org.name.toUpperCase(),
      "--tier",
      "business-critical",
      "--trial-ends",
      "2099-01-31",
    );
    expect(trial.code).toBe(0);
    expect(trial.json().organization).toMatchObject({ tier: "BUSINESS_CRITICAL", trialEndsAt: "2099-01-31T00:00:00.000Z" });
    expect((await auditOf(org.organization.id))[0]).toMatchObject({ event: "subscription-changed", user_login: null });

    const unknownOrg = await cli("set-subscription", "--org", "no-such-org", "--tier", "TEAM");
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toMatch(/organization "no-such-org" not found/);
    const unknownTier = await cli("set-subscription", "--org", org.name, "--tier", "GOLD");
    expect(unknownTier.code).toBe(2);
    expect(unknownTier.stderr).toMatch(/unknown tier "GOLD": use one of INDIVIDUAL, TEAM, ENTERPRISE_GROWTH, BUSINESS_CRITICAL/);
    const badDate = await cli("set-subscription", "--org", org.name, "--tier", "TEAM", "--trial-ends", "next week");
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/"next week" is not a date: give an ISO 8601 date/);
    // the API's forms (src/lib/date-time.ts): a time needs its zone; seconds may be left out
    const noZone = await cli("set-subscription", "--org", org.name, "--tier", "TEAM", "--trial-ends", "2099-01-31T12:00");
    expect(noZone.code).toBe(2);
    expect(noZone.stderr).toContain(DATE_TIME_FORMS);
    const short = await cli("set-subscription", "--org", org.name, "--tier", "BUSINESS_CRITICAL", "--trial-ends", "2099-01-31T12:00+02:00");
    expect(short.json().organization.trialEndsAt).toBe("2099-01-31T10:00:00.000Z");
    const past = await cli("set-subscription", "--org", org.name, "--tier", "TEAM", "--trial-ends", "2001-01-01");
    expect(past.stderr).toMatch(/in the past/);
    const missing = await cli("set-subscription", "--org", org.name);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tier is required/);
    expect(missing.stdout).toBe("");
  });

  it("create-org-token: the oldest admin or --as is the creator; tier, admin and name are checked", async () => {
    const org = await createOrg(server, { tier: "TEAM" });
    await server.committed();
    const noTokens = await cli("create-org-token", "--org", org.name, "--name", "ci");
    expect(noTokens.code).toBe(1);
    expect(noTokens.stderr).toMatch(/on the TEAM tier.*set-subscription --org .* --tier ENTERPRISE_GROWTH/);

    await cli("set-subscription", "--org", org.name, "--tier", "ENTERPRISE_GROWTH");
    const second = await createUser(server);
    await server.app.services.members.add(org.admin.caller, org.organization, {
      organization: org.name,
      login: second.user.login,
      role: "ADMIN",
    });
    const member = await createUser(server);
    await server.app.services.members.add(org.admin.caller, org.organization, {
      organization: org.name,
      login: member.user.login,
      role: "MEMBER",
    });
    await server.committed();

    const asSecond = await cli(
      "create-org-token",
      "--org",
      org.name,
      "--name",
      "deploy",
      "--as",
      second.user.login,
      "--expires",
      "2099-06-30T12:00:00Z",
    );
    expect(asSecond.code).toBe(1); // more than two years away
    expect(asSecond.stderr).toMatch(/at most two years away/);
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const ok = await cli("create-org-token", "--org", org.name, "--name", "deploy", "--as", second.user.login, "--expires", expires);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ token: { name: "deploy", expiresAt: expires }, createdBy: second.user.login });

    expect((await cli("create-org-token", "--org", org.name, "--name", "other", "--as", member.user.login)).stderr).toMatch(
      /is not an ADMIN of/,
    );
    expect((await cli("create-org-token", "--org", org.name, "--name", "deploy")).stderr).toMatch(
      /already has \(or had\) a token named "deploy"/,
    );
    expect((await cli("create-org-token", "--org", org.name, "--name", "bad name")).stderr).toMatch(/invalid token name/);
    expect((await cli("create-org-token", "--org", org.name, "--name", "x", "--expires", "soon")).code).toBe(2);
  });

  it("bootstraps CI alone: create-user, create-org, add-member, set-subscription, create-org-token, list-tokens, revoke-token", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const [owner, helper, orgName] = [`owner-${suffix}`, `helper-${suffix}`, `ci-org-${suffix}`];
    const created = await cli("create-user", "--login", owner);
    expect(created.code).toBe(0);
    const ownerToken = created.json().token as string;
    expect((await cli("create-user", "--login", helper)).code).toBe(0);

    const org = await cli("create-org", "--name", orgName, "--admin", owner, "--display-name", "CI Org");
    expect(org.stderr).toBe("");
    expect(org.json()).toEqual({
      organization: { id: expect.any(String), name: orgName, displayName: "CI Org", tier: "TEAM", createdAt: expect.any(String) },
      admin: owner,
    });
    const member = await cli("add-member", "--org", orgName, "--login", helper, "--role", "billing-manager");
    expect(member.stderr).toBe("");
    expect(member.json()).toEqual({
      member: { organization: orgName, login: helper, role: "BILLING_MANAGER", joinedAt: expect.any(String) },
    });
    expect((await cli("set-subscription", "--org", orgName, "--tier", "ENTERPRISE_GROWTH")).code).toBe(0);
    const issued = await cli("create-org-token", "--org", orgName, "--name", "ci");
    expect(issued.code).toBe(0);
    const { secret, token } = issued.json() as { secret: string; token: { id: string } };

    // what the API sees: the owner is the ADMIN, the helper a billing manager, the token works
    const members = await server.gql(
      `{ organization(name: "${orgName}") { members { nodes { role user { login } } } } }`,
      {},
      { token: ownerToken },
    );
    expect(members.body.data?.organization.members.nodes).toEqual([
      { role: "ADMIN", user: { login: owner } },
      { role: "BILLING_MANAGER", user: { login: helper } },
    ]);
    expect((await server.gql("{ viewer { kind } }", {}, { token: secret })).body.data).toEqual({ viewer: { kind: "ORGANIZATION_TOKEN" } });

    const orgs = (await cli("list-orgs")).json() as Record<string, unknown>[];
    expect(orgs.find((o) => o.name === orgName)).toEqual({
      id: expect.any(String),
      name: orgName,
      displayName: "CI Org",
      tier: "ENTERPRISE_GROWTH",
      trialEndsAt: null,
      members: 2,
      createdAt: expect.any(String),
    });
    const listed = (await cli("list-tokens", "--org", orgName)).json() as Record<string, unknown>[];
    expect(listed).toEqual([
      {
        id: token.id,
        kind: "ORGANIZATION",
        organization: orgName,
        name: "ci",
        description: "Created with the admin CLI",
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String), // the viewer query above used it
        expiresAt: null,
        deletedAt: null,
      },
    ]);
    expect(JSON.stringify((await cli("list-tokens")).json())).not.toMatch(/gt[po]_/);
    const ownerTokens = (await cli("list-tokens", "--user", owner)).json() as { kind: string; user: string }[];
    expect(ownerTokens).toMatchObject([{ kind: "PERSONAL", user: owner }]);

    expect((await cli("revoke-token", "--id", token.id)).code).toBe(0);
    expect((await server.gql("{ viewer { kind } }", {}, { token: secret })).status).toBe(401);
    expect((await cli("list-tokens", "--org", orgName)).json()).toEqual([]);
    expect((await cli("list-tokens", "--org", orgName, "--include-deleted")).json()).toMatchObject([
      { id: token.id, deletedAt: expect.any(String) },
    ]);

    // the audit log names the CLI for what it did, and the admin it named
    const events = (await auditOf(org.json().organization.id)).map((e) => [e.event, e.user_login, e.user_agent]);
    expect(events).toContainEqual(["organization-created", null, "gatehouse admin CLI"]);
    expect(events).toContainEqual(["member-added", null, "gatehouse admin CLI"]);
    expect((await auditOf(org.json().organization.id)).find((e) => e.event === "organization-created")!.description).toContain(
      `by the admin CLI, with "${owner}" as its ADMIN`,
    );
  });

  it("create-org, add-member, list-tokens: errors that say what to do", async () => {
    expect((await cli("create-org", "--name", "x-org")).stderr).toMatch(/--admin is required/);
    const unknownAdmin = await cli("create-org", "--name", "x-org", "--admin", "nobody-here");
    expect(unknownAdmin.code).toBe(1);
    expect(unknownAdmin.stderr).toMatch(/no user has the login "nobody-here": create-user first/);
    const user = await createUser(server);
    const org = await createOrg(server);
    await server.committed();
    expect((await cli("create-org", "--name", org.name.toUpperCase(), "--admin", user.user.login)).stderr).toMatch(/is taken/);
    expect((await cli("create-org", "--name", "bad name", "--admin", user.user.login)).stderr).toMatch(/invalid organization name/);
    const badRole = await cli("add-member", "--org", org.name, "--login", user.user.login, "--role", "OWNER");
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/unknown role "OWNER": use one of ADMIN, MEMBER, BILLING_MANAGER/);
    expect((await cli("add-member", "--org", "no-such-org", "--login", user.user.login)).stderr).toMatch(
      /organization "no-such-org" not found/,
    );
    expect((await cli("add-member", "--org", org.name, "--login", org.admin.user.login)).stderr).toMatch(/already a member/);
    expect((await cli("list-tokens", "--org", org.name, "--user", user.user.login)).code).toBe(2);
  });

  it("revoke-token: a personal token stops working; unknown and already revoked ids are refused", async () => {
    const user = await createUser(server);
    expect((await server.gql("{ viewer { kind } }", {}, { token: user.token })).status).toBe(200);
    const res = await cli("revoke-token", "--id", user.tokenRow.id);
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({
      revoked: { id: user.tokenRow.id, kind: "PERSONAL", user: user.user.login, deletedAt: expect.any(String) },
    });
    expect((await server.gql("{ viewer { kind } }", {}, { token: user.token })).status).toBe(401);

    const again = await cli("revoke-token", "--id", user.tokenRow.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already revoked at .*nothing to do/);
    const unknown = await cli("revoke-token", "--id", "00000000-0000-4000-8000-000000000000");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no access token 00000000-0000-4000-8000-000000000000/);
    // a secret pasted instead of an id is not echoed back
    const pasted = await cli("revoke-token", "--id", user.token);
    expect(pasted.code).toBe(1);
    expect(pasted.stderr).not.toContain(user.token);
  });
});
