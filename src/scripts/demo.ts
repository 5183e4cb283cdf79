// `npm run demo`: fills the database at DATABASE_PATH with the demo organization acme-corp
// (what: demo-data.ts) and prints a token to paste for each role. The database keeps only
// hashes, so the secrets go to <database>.demo-tokens.json beside it (mode 0600). A second run finds
// the organization, creates nothing, and prints the tokens from that file, issuing fresh
// ones (and saying so) for any that are missing or no longer work.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { and, count, eq, inArray, isNull, sql } from "drizzle-orm";
import { hashSecret, parseSecret } from "../lib/token-secret.js";
import { besideDatabase, bootstrapSiteAdmin } from "../bootstrap.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { openStore } from "../open-store.js";
import type { Store } from "../db/store.js";
import { AppError } from "../errors.js";
import { loadServerKey } from "../lib/server-key.js";
import { isEntitled } from "../permissions/entitlements.js";
import { createServices, type Services } from "../services.js";
import { DEMO_ORG_TOKEN, DEMO_ORGANIZATION, type DemoSecret, ROLE_LOGINS, seedDemo, takenLogins, userCaller } from "./demo-data.js";

/** Where the demo keeps its secrets: `data/gatehouse.db` → `data/gatehouse.demo-tokens.json`. */
export const demoTokensFile = (databasePath: string): string => besideDatabase(databasePath, "demo-tokens.json");

export interface DemoCounts {
  members: number;
  teams: number;
  stacks: number;
  updates: number;
  events: number;
  orgTokens: number;
  auditEvents: number;
}

export interface DemoResult {
  /** False when the organization was already there. */
  readonly created: boolean;
  readonly tokensFile: string;
  readonly tokens: DemoSecret[];
  /** Tokens issued afresh on this (second or later) run, and why. */
  readonly reissued: { role: string; principal: string; reason: string }[];
  /** Things the user should know, e.g. why a token will be refused. */
  readonly notes: string[];
  readonly counts: DemoCounts;
  readonly seconds: number;
}

class DemoError extends Error {}

/** Runs the demo against DATABASE_PATH; `print` receives the report, line by line. */
export async function runDemo(
  env: Record<string, string | undefined> = process.env,
  print: (line: string) => void = console.log,
): Promise<DemoResult> {
  const started = performance.now();
  const config = loadConfig(env);
  const store = await openStore(config, { groupCommit: false });
  try {
    const services = createServices(store, loadServerKey(config.secretKey, config.databasePath));
    // the server's first-start site admin (<database>.admin-token), as `npm start` would have made it
    const adminTokenFile = await bootstrapSiteAdmin(services, config.databasePath);
    const tokensFile = demoTokensFile(config.databasePath);

    let created = false;
    let tokens: DemoSecret[];
    let reissued: DemoResult["reissued"] = [];
    const notes: string[] = [];
    if (!(await services.organizations.findByName(DEMO_ORGANIZATION))) {
      const taken = await takenLogins(services);
      if (taken.length > 0) {
        throw new DemoError(
          `the demo users' logins are taken in this database (${taken.join(", ")}): run the demo against a fresh DATABASE_PATH`,
        );
      }
      // through the services, each change in a transaction of its own with its audit event, as
      // the API makes them; a failure half-way leaves part of the organization behind
      try {
        tokens = await seedDemo(services);
      } catch (error) {
        throw new DemoError(
          `filling the demo organization failed half-way (${(error as Error).message}): run the demo against a fresh DATABASE_PATH`,
        );
      }
      created = true;
      writeTokensFile(tokensFile, tokens);
    } else {
      ({ tokens, reissued } = await refreshTokens(services, store, tokensFile, notes));
    }
    if (!isEntitled((await services.organizations.findByName(DEMO_ORGANIZATION))!)) {
      notes.push(
        `"${DEMO_ORGANIZATION}" is no longer on a tier with organization tokens, so the org token is refused: ` +
          `npm run --silent admin -- set-subscription --org ${DEMO_ORGANIZATION} --tier ENTERPRISE_GROWTH`,
      );
    }

    const result: DemoResult = {
      created,
      tokensFile,
      tokens,
      reissued,
      notes,
      counts: await demoCounts(store),
      seconds: (performance.now() - started) / 1000,
    };
    report(result, config, adminTokenFile, print);
    return result;
  } finally {
    await store.close();
  }
}

/** Reads the saved secrets; keeps those that still work, issues fresh ones for the rest. */
async function refreshTokens(
  services: Services,
  store: Store,
  file: string,
  notes: string[],
): Promise<{ tokens: DemoSecret[]; reissued: DemoResult["reissued"] }> {
  const saved = readTokensFile(file);
  const organization = (await services.organizations.findByName(DEMO_ORGANIZATION))!;
  const roles: [role: string, principal: string][] = [
    ["admin", ROLE_LOGINS.admin],
    ["member", ROLE_LOGINS.member],
    ["billing manager", ROLE_LOGINS["billing manager"]],
    ["org token", DEMO_ORG_TOKEN],
    ["site admin", ROLE_LOGINS["site admin"]],
  ];
  const tokens: DemoSecret[] = [];
  const reissued: DemoResult["reissued"] = [];
  const why = (kept: DemoSecret | undefined) => (kept ? "the saved one was revoked or has expired" : `it was not in ${basename(file)}`);
  for (const [role, principal] of roles) {
    const kept = saved.find((t) => t.role === role);
    if (role === "org token") {
      if (kept && (await tokenRow(store, kept.secret))?.organizationId === organization.id) {
        tokens.push(kept);
        continue;
      }
      if (!isEntitled(organization)) {
        notes.push("no org token was issued (the saved one is missing or revoked; see below)");
        continue;
      }
      // org token names are never reused: ci-deploy-2, ci-deploy-3 …
      const names = new Set((await services.tokens.listForOrganization(organization, true)).map((t) => t.name?.toLowerCase()));
      let name = DEMO_ORG_TOKEN;
      for (let n = 2; names.has(name); n++) name = `${DEMO_ORG_TOKEN}-${n}`;
      const admin = tokens.find((t) => t.role === "admin")!;
      const adminRow = (await tokenRow(store, admin.secret))!;
      const adminUser = (await services.users.findByLogin(admin.principal))!;
      const issued = await services.tokens.createForOrganization(userCaller(adminUser, adminRow), organization, {
        organization: organization.name,
        name,
        description: "GitHub Actions: pulumi up on merge to main (reissued by npm run demo)",
        expiresAt: null,
      });
      tokens.push({ role, principal: name, secret: issued.secret });
      reissued.push({ role, principal: name, reason: why(kept) });
      continue;
    }
    const user = await services.users.findByLogin(principal);
    if (!user) {
      throw new DemoError(
        `"${DEMO_ORGANIZATION}" exists but the demo user "${principal}" does not: it was not made by the demo; run the demo against a fresh DATABASE_PATH`,
      );
    }
    if (kept && (await tokenRow(store, kept.secret))?.userId === user.id) {
      tokens.push(kept);
      continue;
    }
    const issued = await store.transaction((tx) => services.tokens.insertPersonal(tx, user.id, "Demo token (npm run demo)", null));
    tokens.push({ role, principal, secret: issued.secret });
    reissued.push({ role, principal, reason: why(kept) });
  }
  if (reissued.length > 0) writeTokensFile(file, tokens);
  if (reissued.some((r) => r.reason.startsWith("it was not"))) {
    notes.push(
      "tokens issued before are still valid, their secrets unknown: revoke any you no longer trust with npm run --silent admin -- revoke-token --id <id>",
    );
  }
  return { tokens, reissued };
}

/** The live, unexpired token row of a secret, or null. */
async function tokenRow(store: Store, secret: string) {
  if (parseSecret(secret) === null) return null;
  const { accessTokensTable } = store.tables;
  const [row] = await store.db
    .select()
    .from(accessTokensTable)
    .where(and(eq(accessTokensTable.secretHash, hashSecret(secret)), isNull(accessTokensTable.deletedAt)))
    .limit(1);
  if (!row || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) return null;
  return row;
}

function readTokensFile(file: string): DemoSecret[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { tokens?: DemoSecret[] };
    return Array.isArray(parsed.tokens) ? parsed.tokens.filter((t) => typeof t?.secret === "string") : [];
  } catch {
    return []; // unreadable: treat as gone, fresh tokens are issued
  }
}

function writeTokensFile(file: string, tokens: DemoSecret[]): void {
  const body = { organization: DEMO_ORGANIZATION, note: "secrets of npm run demo; keep private", tokens };
  // on PostgreSQL no database file made the directory
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // also when the file was already there
}

/** What the demo organization holds now. */
export async function demoCounts(store: Store): Promise<DemoCounts> {
  const { db, tables: t } = store;
  const [org] = await db
    .select({ id: t.organizationsTable.id })
    .from(t.organizationsTable)
    .where(eq(sql`lower(${t.organizationsTable.name})`, DEMO_ORGANIZATION));
  const n = async (q: PromiseLike<{ n: number }[]>) => (await q)[0]?.n ?? 0;
  const stackIds = db.select({ id: t.stacksTable.id }).from(t.stacksTable).where(eq(t.stacksTable.organizationId, org!.id));
  const updateIds = db
    .select({ id: t.stackUpdatesTable.id })
    .from(t.stackUpdatesTable)
    .where(inArray(t.stackUpdatesTable.stackId, stackIds));
  return {
    members: await n(db.select({ n: count() }).from(t.membershipsTable).where(eq(t.membershipsTable.organizationId, org!.id))),
    teams: await n(db.select({ n: count() }).from(t.teamsTable).where(eq(t.teamsTable.organizationId, org!.id))),
    stacks: await n(db.select({ n: count() }).from(t.stacksTable).where(eq(t.stacksTable.organizationId, org!.id))),
    updates: await n(db.select({ n: count() }).from(t.stackUpdatesTable).where(inArray(t.stackUpdatesTable.stackId, stackIds))),
    events: await n(db.select({ n: count() }).from(t.updateEventsTable).where(inArray(t.updateEventsTable.updateId, updateIds))),
    orgTokens: await n(
      db
        .select({ n: count() })
        .from(t.accessTokensTable)
        .where(and(eq(t.accessTokensTable.organizationId, org!.id), isNull(t.accessTokensTable.deletedAt))),
    ),
    auditEvents: await n(db.select({ n: count() }).from(t.auditEventsTable).where(eq(t.auditEventsTable.organizationId, org!.id))),
  };
}

function report(result: DemoResult, config: Config, adminTokenFile: string | null, print: (line: string) => void): void {
  const c = result.counts;
  const host = ["0.0.0.0", "::", ""].includes(config.host) ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.port || 4000}/graphql`;
  print(
    result.created
      ? `Created the demo organization "${DEMO_ORGANIZATION}" in ${config.databasePath} (${result.seconds.toFixed(1)} s):`
      : `"${DEMO_ORGANIZATION}" is already in ${config.databasePath}: nothing created.`,
  );
  print(
    `  ${c.members} members, ${c.teams} teams, ${c.stacks} stacks, ${c.updates} updates with ${c.events} engine events, ` +
      `${c.orgTokens} organization tokens, ${c.auditEvents} audit events`,
  );
  if (adminTokenFile) print(`  (first start: the site admin "admin" was created, its token is in ${adminTokenFile})`);
  for (const r of result.reissued) print(`  issued a fresh token for ${r.role} (${r.principal}): ${r.reason}`);
  for (const note of result.notes) print(`  note: ${note}`);
  print("");
  print(`Tokens (saved in ${result.tokensFile}, mode 0600):`);
  const width = Math.max(...result.tokens.map((t) => t.principal.length));
  for (const t of result.tokens) {
    print(`  ${t.role.padEnd(16)} ${t.principal.padEnd(width)}  ${t.secret}  ${ROLE_HINTS[t.role] ?? ""}`.trimEnd());
  }
  print("");
  // the server must use the same database: name it unless it is the default one
  const start = config.databasePath === resolve("data/gatehouse.db") ? "npm start" : `DATABASE_PATH=${config.databasePath} npm start`;
  print("Next: start the server");
  print(`  ${start}`);
  print(`open the playground at ${url} and send the header`);
  print("  Authorization: token <a token above>");
  print("or try it from a shell:");
  const admin = result.tokens.find((t) => t.role === "admin")!;
  const query = `{ organization(name: \\"${DEMO_ORGANIZATION}\\") { stacks(first: 5) { totalCount nodes { project name resourceCount } } } }`;
  print(`  curl -s ${url} -H "Authorization: token ${admin.secret}" \\`);
  print(`    -H 'content-type: application/json' -d '{"query":"${query}"}'`);
}

/** What each printed token can do, in a few words. */
const ROLE_HINTS: Record<string, string> = {
  admin: "everything in acme-corp",
  member: "READ on every stack, WRITE via team backend",
  "billing manager": "no stacks, no admin fields",
  "org token": "WRITE on every stack (CI)",
  "site admin": "createUser, subscriptions; not in acme-corp",
};

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    await runDemo();
  } catch (error) {
    const known = error instanceof DemoError || error instanceof ConfigError || error instanceof AppError;
    console.error(`npm run demo: ${known ? (error as Error).message : (error as Error).stack}`);
    process.exitCode = 1;
  }
}
