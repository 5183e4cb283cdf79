// 50 concurrent clients, split across two server processes sharing one database (an SQLite
// file, or PostgreSQL), mixing mutations on one organization: the same stack's tags, the same
// team, org tokens with the same names, updates of the same stack. No SQLITE_BUSY, no
// serialization failure (or any 500) may reach a client, uniqueness must hold, and the audit
// log must match the acknowledged mutations exactly.
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemCaller } from "../../src/auth/principal.js";
import { callerOf } from "../support/factories.js";
import { type FaultDatabase, faultBackendAvailable, openFaultDatabase } from "./database.js";
import { type ServerProcess, startServerProcess } from "./server-process.js";

const CLIENTS = 50;
const OPERATIONS_PER_CLIENT = 12;
const available = await faultBackendAvailable();
let database: FaultDatabase;
const servers: ServerProcess[] = [];
let adminToken = "";
const logins: string[] = [];

beforeAll(async () => {
  if (!available) return;
  database = await openFaultDatabase("concurrency", "07".repeat(32));
  await database.withServices(async (services) => {
    const admin = await services.users.create({ login: "admin-c" });
    adminToken = admin.token.secret;
    const caller = callerOf(admin.user, admin.token.row);
    const org = await services.organizations.create(caller, { name: "busy" });
    await services.organizations.setSubscription(systemCaller("test"), { organization: "busy", tier: "BUSINESS_CRITICAL" });
    await services.stacks.create(caller, org, { organization: "busy", project: "app", stack: "shared" });
    await services.teams.create(caller, org, { organization: "busy", name: "crew" });
    for (let i = 0; i < CLIENTS; i++) {
      const user = (await services.users.create({ login: `worker-${i}` })).user;
      await services.members.add(caller, org, { organization: "busy", login: user.login });
      logins.push(user.login);
    }
  });
  const env = { ...database.env, RATE_LIMIT_PER_PRINCIPAL: "1000000" };
  servers.push(await startServerProcess(env), await startServerProcess(env));
}, 90_000);

afterAll(async () => {
  for (const server of servers) await server.kill("SIGTERM");
  await database?.close();
});

const STACK = { organization: "busy", project: "app", stack: "shared" };
type Outcome = { op: string; ok: boolean; code?: string; status: number; data?: any };

async function client(i: number): Promise<Outcome[]> {
  const server = servers[i % servers.length]!;
  const outcomes: Outcome[] = [];
  const run = async (op: string, query: string, variables: Record<string, unknown>) => {
    const { status, body } = await server.gql(query, variables, adminToken);
    const code = body.errors?.[0]?.extensions?.code;
    outcomes.push({ op, ok: !body.errors, code, status, data: body.data });
    return body;
  };
  for (let n = 0; n < OPERATIONS_PER_CLIENT; n++) {
    switch ((i + n) % 4) {
      case 0:
        await run(
          "setStackTag",
          `mutation ($s: StackRef!, $n: String!, $v: String!) { setStackTag(input: { stack: $s, name: $n, value: $v }) { name } }`,
          { s: STACK, n: `tag${n % 5}`, v: `client-${i}-${n}` },
        );
        break;
      case 1: {
        // each client toggles its own worker in the shared team: every call is a change
        const inTeam = outcomes.filter((o) => o.op === "updateTeamMembership" && o.ok).length % 2 === 1;
        await run(
          "updateTeamMembership",
          `mutation ($add: [String!], $remove: [String!]) { updateTeamMembership(input: { organization: "busy", team: "crew", addLogins: $add, removeLogins: $remove }) { name } }`,
          inTeam ? { add: [], remove: [logins[i]] } : { add: [logins[i]], remove: [] },
        );
        break;
      }
      case 2:
        await run(
          "createOrganizationAccessToken",
          `mutation ($n: String!) { createOrganizationAccessToken(input: { organization: "busy", name: $n }) { token { id } } }`,
          { n: `ci-${i % 10}` },
        );
        break;
      default: {
        const started = await run("startUpdate", `mutation ($s: StackRef!) { startUpdate(input: { stack: $s, kind: UPDATE }) { id } }`, {
          s: STACK,
        });
        if (started.data?.startUpdate) {
          await run("completeUpdate", `mutation ($id: ID!) { completeUpdate(input: { updateId: $id, status: SUCCEEDED }) { status } }`, {
            id: started.data.startUpdate.id,
          });
        }
      }
    }
  }
  return outcomes;
}

it.skipIf(!available)(`${CLIENTS} concurrent clients on two processes: no SQLITE_BUSY, uniqueness holds, audit matches`, async () => {
  const [{ n: seedEvents }] = (await database.sql<{ n: number }>("select cast(max(id) as integer) as n from audit_events")) as [
    { n: number },
  ];
  const outcomes = (await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))).flat();

  const failures = outcomes.filter((o) => !o.ok);
  expect(outcomes.filter((o) => o.status >= 500 || o.code === "INTERNAL_SERVER_ERROR")).toEqual([]);
  // the only refusals are the expected races: a taken token name, an update already running
  const unexpected = failures.filter((o) => !(o.code === "CONFLICT" && ["createOrganizationAccessToken", "startUpdate"].includes(o.op)));
  expect(unexpected).toEqual([]);
  const succeeded = (op: string) => outcomes.filter((o) => o.op === op && o.ok).length;

  {
    const names = await database.sql<{ n: number }>(
      "select lower(name) as name, cast(count(*) as integer) as n from access_tokens where kind = 'ORGANIZATION' group by lower(name)",
    );
    expect(names).toHaveLength(10);
    expect(names.every((r) => r.n === 1)).toBe(true);
    expect(succeeded("createOrganizationAccessToken")).toBe(10);
    expect(await database.sql("select cast(count(*) as integer) as n from stack_updates where status = 'RUNNING'")).toEqual([{ n: 0 }]);
    expect(await database.sql("select cast(count(*) as integer) as n from stack_updates")).toEqual([{ n: succeeded("startUpdate") }]);
    // versions are 1, 2, 3 … with no gap and no repeat
    const versions = await database.sql<{ version: number }>("select version from stack_updates order by version");
    expect(versions.map((r) => r.version)).toEqual(versions.map((_, i) => i + 1));

    const events = Object.fromEntries(
      (
        await database.sql<{ event: string; n: number }>(
          "select event, cast(count(*) as integer) as n from audit_events where id > $1 group by event",
          [seedEvents],
        )
      ).map((r) => [r.event, r.n]),
    );
    expect(events).toEqual({
      "stack-tag-set": succeeded("setStackTag"),
      "team-membership-changed": succeeded("updateTeamMembership"),
      "organization-token-created": succeeded("createOrganizationAccessToken"),
      "stack-update-started": succeeded("startUpdate"),
      "stack-update-completed": succeeded("completeUpdate"),
    });
    if (database.backend === "sqlite") expect(await database.sql("pragma integrity_check")).toEqual([{ integrity_check: "ok" }]);
  }
  console.log(
    `concurrency (${database.backend}): ${outcomes.length} mutations from ${CLIENTS} clients on ${servers.length} processes; ` +
      `${outcomes.filter((o) => o.ok).length} acknowledged, ${failures.length} refused as CONFLICT, 0 errors`,
  );
});
