// The read-then-write rules under races between two server processes sharing one database:
// two admins demoting each other at once (the organization must keep an admin), many clients
// creating teams of the same names (one of each), racing stack updates (versions 1, 2, 3 …
// without gap or repeat, one running at a time). On PostgreSQL this is what SERIALIZABLE with
// retry (src/db/postgres/store.ts) is for; on SQLite, the one writer.
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemCaller } from "../../src/auth/principal.js";
import { callerOf } from "../support/factories.js";
import { type FaultDatabase, faultBackendAvailable, openFaultDatabase } from "./database.js";
import { type ServerProcess, startServerProcess } from "./server-process.js";

const ROUNDS = 20;
const available = await faultBackendAvailable();
let database: FaultDatabase;
const servers: ServerProcess[] = [];
const tokens: Record<"ann" | "bob", string> = { ann: "", bob: "" };

const ROLE = `mutation ($login: String!, $role: OrganizationRole!) {
  updateOrganizationMemberRole(input: { organization: "racy", login: $login, role: $role }) { role } }`;
const CREATE_TEAM = `mutation ($name: String!) { createTeam(input: { organization: "racy", name: $name }) { name } }`;
const START = `mutation { startUpdate(input: { stack: { organization: "racy", project: "app", stack: "s" }, kind: UPDATE }) { id version } }`;
const COMPLETE = `mutation ($id: ID!) { completeUpdate(input: { updateId: $id, status: SUCCEEDED }) { status } }`;

beforeAll(async () => {
  if (!available) return;
  database = await openFaultDatabase("races", "0b".repeat(32));
  await database.withServices(async (services) => {
    const ann = await services.users.create({ login: "ann" });
    const bob = await services.users.create({ login: "bob" });
    tokens.ann = ann.token.secret;
    tokens.bob = bob.token.secret;
    const caller = callerOf(ann.user, ann.token.row);
    const org = await services.organizations.create(caller, { name: "racy" });
    await services.organizations.setSubscription(systemCaller("test"), { organization: "racy", tier: "BUSINESS_CRITICAL" });
    await services.members.add(caller, org, { organization: "racy", login: "bob", role: "ADMIN" });
    await services.stacks.create(caller, org, { organization: "racy", project: "app", stack: "s" });
  });
  const env = { ...database.env, RATE_LIMIT_PER_PRINCIPAL: "1000000" };
  servers.push(await startServerProcess(env), await startServerProcess(env));
}, 90_000);

afterAll(async () => {
  for (const server of servers) await server.kill("SIGTERM");
  await database?.close();
});

const codeOf = (body: any): string | undefined => body.errors?.[0]?.extensions?.code;

it.skipIf(!available)("two admins demoting each other at once: the organization always keeps an admin", async () => {
  let bothSucceeded = 0;
  const codes: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [a, b] = await Promise.all([
      servers[0]!.gql(ROLE, { login: "bob", role: "MEMBER" }, tokens.ann),
      servers[1]!.gql(ROLE, { login: "ann", role: "MEMBER" }, tokens.bob),
    ]);
    for (const res of [a, b]) codes.push(codeOf(res.body) ?? "ok");
    if (!a.body.errors && !b.body.errors) bothSucceeded++;
    const admins = await database.sql<{ n: number }>(
      "select cast(count(*) as integer) as n from memberships m join organizations o on o.id = m.organization_id where o.name = 'racy' and m.role = 'ADMIN'",
    );
    expect(admins).toEqual([{ n: 1 }]);
    // the one left promotes the other again for the next round
    const left = a.body.errors ? "bob" : "ann";
    const res = await servers[round % 2]!.gql(ROLE, { login: left === "ann" ? "bob" : "ann", role: "ADMIN" }, tokens[left]);
    expect(res.body.errors).toBeUndefined();
  }
  expect(bothSucceeded).toBe(0);
  // the loser is refused as the last admin (CONFLICT) or, once demoted, as a member (FORBIDDEN): never an error
  expect(codes.filter((c) => !["ok", "CONFLICT", "FORBIDDEN"].includes(c))).toEqual([]);
  expect(codes.filter((c) => c === "ok")).toHaveLength(ROUNDS);
  console.log(`races (${database.backend}): last admin: ${ROUNDS} rounds of mutual demotion, 1 admin left after each, 0 errors`);
});

it.skipIf(!available)("teams of the same names created at once: one of each, the rest CONFLICT", async () => {
  const names = Array.from({ length: 10 }, (_, i) => `crew-${i}`);
  const attempts = await Promise.all(
    names.flatMap((name) =>
      Array.from({ length: 6 }, (_, i) => servers[i % 2]!.gql(CREATE_TEAM, { name }, i % 3 ? tokens.ann : tokens.bob)),
    ),
  );
  const codes = attempts.map((res) => codeOf(res.body) ?? "ok");
  expect(codes.filter((c) => c === "ok")).toHaveLength(names.length);
  expect(codes.filter((c) => c !== "ok" && c !== "CONFLICT")).toEqual([]);
  const rows = await database.sql<{ name: string }>(
    "select t.name from teams t join organizations o on o.id = t.organization_id where o.name = 'racy'",
  );
  expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
  console.log(
    `races (${database.backend}): team names: ${attempts.length} creates of ${names.length} names, ${names.length} made, the rest CONFLICT`,
  );
});

it.skipIf(!available)("racing stack updates: one running at a time, versions without gap or repeat", async () => {
  const runner = async (i: number) => {
    const started: number[] = [];
    for (let n = 0; n < 8; n++) {
      const server = servers[(i + n) % 2]!;
      const res = await server.gql(START, {}, i % 2 ? tokens.ann : tokens.bob);
      const code = codeOf(res.body);
      if (code) {
        expect(code).toBe("CONFLICT");
        continue;
      }
      started.push(res.body.data.startUpdate.version as number);
      const done = await server.gql(COMPLETE, { id: res.body.data.startUpdate.id }, i % 2 ? tokens.ann : tokens.bob);
      expect(done.body.errors).toBeUndefined();
    }
    return started;
  };
  const started = (await Promise.all(Array.from({ length: 10 }, (_, i) => runner(i)))).flat();
  const versions = (
    await database.sql<{ version: number }>(
      "select u.version from stack_updates u join stacks s on s.id = u.stack_id where s.name = 's' order by u.version",
    )
  ).map((r) => r.version);
  expect(versions).toEqual(versions.map((_, i) => i + 1));
  expect([...started].sort((a, b) => a - b)).toEqual(versions);
  console.log(
    `races (${database.backend}): update versions: ${versions.length} updates started by 10 racing clients, versions 1…${versions.length}`,
  );
});
