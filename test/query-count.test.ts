// No N+1: a page of 100 stacks (with tags, permission, last update), of 100 updates (with
// their resource changes) or of 100 teams (each with a page of its members and stack grants,
// and their counts) costs the same number of SQL statements as a page of 10.
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqliteStore } from "../src/db/sqlite/store.js";
import { expectOk } from "./support/assertions.js";
import { addMember, createOrg, createStack, createTeam, grant, type OrgFixture, stackNode, startUpdate } from "./support/factories.js";
import type { Variables } from "./support/operations.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
let executed = 0;
const restore: Array<() => void> = [];

/** Replaces `target[method]` with a wrapper that counts its calls (undone in afterAll). */
function countCalls(target: object, method: string): void {
  const object = target as Record<string, (...a: unknown[]) => unknown>;
  const original = object[method]!;
  object[method] = function (this: unknown, ...args: unknown[]) {
    executed++;
    return original.apply(this, args);
  };
  restore.push(() => (object[method] = original));
}

beforeAll(async () => {
  // nothing in the background: the webhook dispatcher's polls of the outbox and (PostgreSQL) the
  // rate-limit flushes would be counted with whichever request they overlap
  server = await startTestServer({ LOG_LEVEL: "warn", WEBHOOK_DISPATCHER: "false", RATE_LIMIT_FLUSH_INTERVAL: "1h" });
  if (server.backend === "sqlite") {
    // count every statement execution on the connection (better-sqlite3 statements share one prototype)
    const connection = (server.app.store as SqliteStore).connection;
    const proto = Object.getPrototypeOf(connection.prepare("select 1")) as object;
    for (const method of ["all", "get", "run", "iterate"]) countCalls(proto, method);
  } else if (server.postgres!.pglite) {
    // PGlite (no PostgreSQL server): its statements, outside a transaction and inside one
    const pglite: PGlite = server.postgres!.pglite;
    countCalls(pglite, "query");
    countCalls(pglite, "exec");
    const transaction = pglite.transaction.bind(pglite);
    pglite.transaction = (work) =>
      transaction((tx) => {
        countCalls(tx, "query");
        countCalls(tx, "exec");
        return work(tx);
      });
    restore.push(() => (pglite.transaction = transaction));
  } else {
    // every statement sent to PostgreSQL goes through a pg.Client (the pool's, or a transaction's own)
    countCalls(pg.Client.prototype, "query");
  }
});
afterAll(async () => {
  for (const undo of restore.reverse()) undo();
  await server.close();
});

async function statementsFor(query: string, variables: Variables, token: string): Promise<number> {
  await server.committed(); // what the factories wrote: its COMMIT is not the query's
  executed = 0;
  const res = await server.gql(query, variables, { token });
  expectOk(res);
  return executed;
}

const STACKS = `query ($org: String!, $first: Int) {
  organization(name: $org) {
    stacks(first: $first) {
      totalCount
      nodes { fullyQualifiedName viewerPermission lastUpdatedAt resourceCount tags { name value } organization { name } }
    }
  }
}`;

async function orgWithStacks(n: number) {
  const org = await createOrg(server);
  const member = await addMember(server, org);
  const teams = [await createTeam(server, org, { members: [member] }), await createTeam(server, org, { members: [member] })];
  for (let i = 0; i < n; i++) {
    const stack = await createStack(server, org, {
      project: `p${i % 4}`,
      tags: [
        { name: "env", value: "dev" },
        { name: "owner", value: `t${i}` },
      ],
    });
    await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
    if (i < 2) await grant(server, org, teams[i]!.name, stack, "WRITE");
  }
  return { org, member };
}

// Of these, authentication takes the token and its owner (and its last-used stamp), plus on
// SQLite two to tell whether the database changed (PRAGMA data_version and total_changes()).
// PostgreSQL has no token cache and no change stamp: two fewer.
const CEILING = 10;

describe("statement count", () => {
  it("is the same for 10 and 100 stacks listed by a member with two team grants", async () => {
    const small = await orgWithStacks(10);
    const large = await orgWithStacks(100);
    const forSmall = await statementsFor(STACKS, { org: small.org.name, first: 100 }, small.member.token);
    const forLarge = await statementsFor(STACKS, { org: large.org.name, first: 100 }, large.member.token);
    expect(forLarge).toBe(forSmall);
    expect(forLarge).toBeLessThanOrEqual(CEILING);
  });

  it("is the same for 10 and 100 updates with their resource changes", async () => {
    const updates = async (org: OrgFixture, n: number) => {
      const stack = await createStack(server, org);
      const node = await stackNode(server, org, stack);
      for (let i = 0; i < n; i++) {
        const u = await server.app.services.updates.start(org.admin.caller, node, "UPDATE", null);
        await server.app.services.updates.complete(org.admin.caller, u, node, {
          updateId: u.id,
          status: "SUCCEEDED",
          resourceChanges: { create: i, update: 1 },
        });
      }
      return stack;
    };
    const query = `query ($org: String!, $project: String!, $name: String!) {
      organization(name: $org) { stack(project: $project, name: $name) {
        updates(first: 100) { totalCount nodes { version kind status requestedBy startedAt endedAt resourceChanges { create update delete same replace } } }
      } }
    }`;
    const a = await createOrg(server);
    const b = await createOrg(server);
    const sa = await updates(a, 10);
    const sb = await updates(b, 100);
    const forSmall = await statementsFor(query, { org: a.name, project: sa.project, name: sa.stack }, a.admin.token);
    const forLarge = await statementsFor(query, { org: b.name, project: sb.project, name: sb.stack }, b.admin.token);
    expect(forLarge).toBe(forSmall);
    expect(forLarge).toBeLessThanOrEqual(CEILING);
  });

  it("is the same for 10 and 100 teams, each with a page of members and of stack grants and their totals", async () => {
    const TEAMS = `query ($org: String!) { organization(name: $org) { teamsConnection(first: 100) { totalCount nodes {
      name
      membersConnection(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { login email } }
      stackGrantsConnection(first: 3) { totalCount nodes { projectName permission stack { fullyQualifiedName viewerPermission tags { name } } } }
    } } } }`;
    const orgWithTeams = async (n: number) => {
      const org = await createOrg(server);
      const members = [
        await addMember(server, org),
        await addMember(server, org),
        await addMember(server, org),
        await addMember(server, org),
      ];
      const stacks = [];
      for (let i = 0; i < 4; i++) stacks.push(await createStack(server, org));
      for (let i = 0; i < n; i++) {
        const team = await createTeam(server, org, { members: members.slice(0, 1 + (i % 4)) });
        for (const stack of stacks.slice(0, 1 + (i % 4))) await grant(server, org, team.name, stack, "READ");
      }
      return { org, member: members[0]! };
    };
    const small = await orgWithTeams(10);
    const large = await orgWithTeams(100);
    for (const as of ["admin", "member"] as const) {
      const forSmall = await statementsFor(TEAMS, { org: small.org.name }, as === "admin" ? small.org.admin.token : small.member.token);
      const forLarge = await statementsFor(TEAMS, { org: large.org.name }, as === "admin" ? large.org.admin.token : large.member.token);
      expect(forLarge, as).toBe(forSmall);
      expect(forLarge, as).toBeLessThanOrEqual(CEILING + 4);
    }
  });
});
