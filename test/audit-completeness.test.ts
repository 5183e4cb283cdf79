// Every mutation's audit trail: for each Mutation field of the schema, the events one call
// writes (ids, actor, flags), run as a user and as an organization token wherever the
// permission matrix lets a token call it. A Mutation without an expectation here fails.
// And each event is written in the transaction of the change it records (issue 14): for every
// mutation walked here that writes events, and each of its events, a failure to write that
// event fails the call with an internal error and leaves the database as it was — neither the
// change nor any event lands — and once the fault is gone the very same call succeeds.
import { readFileSync } from "node:fs";
import { asc, gt } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBareSchema } from "../src/graphql/schema.js";
import { AUDIT_EVENTS, type AuditEventId } from "../src/modules/audit/audit-events.js";
import { errorCodes, expectError, lastAuditId } from "./support/assertions.js";
import { contractFile } from "./support/contract.js";
import { EXTRA_OPERATIONS, EXTRA_ROWS } from "./support/extra-operations.js";
import { failAuditWrite } from "./support/faults.js";
import { OPERATIONS } from "./support/operations.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { createWorld, type PrincipalName, type World } from "./support/world.js";

/** The events one successful call writes, in order; [] with the reason when it writes none. */
const EXPECTED: Record<string, AuditEventId[] | { none: string }> = {
  createUser: { none: "users belong to no organization" },
  setOrganizationSubscription: ["subscription-changed"],
  createOrganization: ["organization-created"],
  updateOrganizationSettings: ["organization-settings-changed"],
  addOrganizationMember: ["member-added"],
  removeOrganizationMember: ["member-removed"],
  updateOrganizationMemberRole: ["member-role-changed"],
  createTeam: ["team-created"],
  deleteTeam: ["team-deleted"],
  updateTeamMembership: ["team-membership-changed"],
  grantTeamStackAccess: ["team-stack-permission-granted"],
  revokeTeamStackAccess: ["team-stack-permission-revoked"],
  setTeamStackGrant: ["team-stack-permission-granted"],
  removeTeamStackGrant: ["team-stack-permission-revoked"],
  createPersonalAccessToken: { none: "personal tokens belong to no organization (Pulumi's catalog has no such event)" },
  deletePersonalAccessToken: { none: "personal tokens belong to no organization" },
  revokePersonalAccessToken: { none: "personal tokens belong to no organization" },
  createOrganizationAccessToken: ["organization-token-created"],
  deleteOrganizationAccessToken: ["organization-token-deleted"],
  revokeOrganizationAccessToken: ["organization-token-deleted"],
  createStack: ["stack-created"],
  deleteStack: ["stack-deleted"],
  transferStack: ["stack-transferred-to-organization", "stack-transferred-from-organization"],
  setStackTag: ["stack-tag-set"],
  deleteStackTag: ["stack-tag-deleted"],
  importStackState: ["stack-imported"],
  startUpdate: ["stack-update-started"],
  appendUpdateEvents: { none: "engine telemetry, bracketed by stack-update-started and -completed" },
  completeUpdate: ["stack-update-completed"],
  completeStackUpdate: ["stack-update-completed"],
  cancelUpdate: ["stack-update-canceled"],
  cancelStackUpdate: ["stack-update-canceled"],
  createWebhook: ["webhook-created"],
  updateWebhook: ["webhook-updated"],
  deleteWebhook: ["webhook-deleted"],
  pingWebhook: ["webhook-pinged"],
};

const matrix: { operations: Array<{ operation: string; admin: boolean; orgToken: boolean; siteAdmin?: boolean }> } = JSON.parse(
  readFileSync(contractFile("permissions.json"), "utf8"),
);
const ALL_OPERATIONS = { ...OPERATIONS, ...EXTRA_OPERATIONS };

let server: TestServer;
beforeAll(async () => {
  // no webhook dispatcher: its retries of earlier calls' deliveries would change the outbox
  // while a fault check compares the database before and after a call
  server = await startTestServer({ LOG_LEVEL: "warn", WEBHOOK_DISPATCHER: "false" });
});
afterAll(() => server.close());

/** The request of `operation` as `as` makes it (its builder may create what the call needs). */
async function requestOf(operation: string, world: World, as: PrincipalName) {
  const { query, variables = {} } = await ALL_OPERATIONS[operation]!.request(world, as);
  return { query, variables };
}

/** The audit events written after the event `id`, oldest first (every organization's). */
async function eventsAfter(id: number) {
  const { db, tables } = server.app.store;
  const { auditEventsTable: a } = tables;
  return db.select().from(a).where(gt(a.id, id)).orderBy(asc(a.id));
}

type Snapshot = Map<string, string[]>;

/**
 * Every row of every table (the migrations' bookkeeping and SQLite's own aside), as sorted
 * JSON lines. Without access_tokens.last_used_at (authentication refreshes it before the call
 * runs, outside its transaction) and rate_limits (PostgreSQL: the fleet's request counts, which
 * every request moves).
 */
async function snapshot(): Promise<Snapshot> {
  const tables =
    server.backend === "sqlite"
      ? await server.sql<{ name: string }>("select name from sqlite_master where type = 'table'")
      : await server.sql<{ name: string }>(
          "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
        );
  const names = tables
    .map((t) => t.name)
    .filter((name) => !name.startsWith("sqlite_") && !name.startsWith("__drizzle") && name !== "rate_limits");
  expect(names).toContain("audit_events");
  const rows: Snapshot = new Map();
  for (const name of names.sort()) {
    const lines = (await server.sql(`select * from "${name}"`)).map((row) => {
      if (name === "access_tokens") delete row.last_used_at;
      return JSON.stringify(row);
    });
    rows.set(name, lines.sort());
  }
  return rows;
}

/** The rows added and removed between two snapshots, by table; {} when they are the same. */
function changes(before: Snapshot, after: Snapshot) {
  const diff: Record<string, { added: string[]; removed: string[] }> = {};
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const was = new Set(before.get(name) ?? []);
    const is = new Set(after.get(name) ?? []);
    const added = [...is].filter((line) => !was.has(line));
    const removed = [...was].filter((line) => !is.has(line));
    if (added.length > 0 || removed.length > 0) diff[name] = { added, removed };
  }
  return diff;
}

it("every Mutation field has an audit expectation", () => {
  const fields = Object.keys(buildBareSchema().getMutationType()!.getFields());
  expect(fields.filter((f) => !(f in EXPECTED))).toEqual([]);
});

const cases = [...matrix.operations, ...EXTRA_ROWS]
  .filter((row) => row.operation.startsWith("Mutation.") && row.operation in ALL_OPERATIONS)
  .flatMap((row) => {
    const field = row.operation.replace(/^Mutation\./, "").replace(/ \(.*\)$/, "");
    const actors: Array<"admin" | "orgToken" | "siteAdmin"> = [];
    if (row.siteAdmin) actors.push("siteAdmin");
    if (row.admin) actors.push("admin");
    if (row.orgToken) actors.push("orgToken");
    return actors.map((as) => ({ operation: row.operation, field, as }));
  });

describe.each(cases)("$operation as $as", ({ operation, field, as }) => {
  it("writes exactly its events, attributed to the caller, with the catalogue's flags", async () => {
    const world = await createWorld(server);
    const { query, variables } = await requestOf(operation, world, as);
    const before = await lastAuditId(server);
    const res = await server.gql(query, variables, { token: world.tokenOf(as) });
    expect(errorCodes(res), res.raw).toEqual([]);
    const events = await eventsAfter(before);
    const expected = EXPECTED[field]!;
    expect(events.map((e) => e.event)).toEqual(Array.isArray(expected) ? expected : []);
    for (const event of events) {
      const flags = AUDIT_EVENTS[event.event as AuditEventId];
      expect(event).toMatchObject({
        requireOrgAdmin: flags.requireOrgAdmin,
        requireStackAdmin: flags.requireStackAdmin,
        authFailure: false,
        sourceIp: "127.0.0.1",
      });
      if (as === "orgToken") {
        expect(event).toMatchObject({ userId: null, userLogin: null, tokenId: expect.any(String), tokenName: expect.any(String) });
      } else {
        const user = world.userOf(as)!.user;
        expect(event).toMatchObject({ userId: user.id, userLogin: user.login, tokenId: null, tokenName: null });
      }
    }
  });

  const expected = EXPECTED[field];
  if (Array.isArray(expected)) {
    it(`when writing ${expected.join(" or ")} fails: an internal error, and neither the change nor an event lands`, async () => {
      const world = await createWorld(server);
      const { query, variables } = await requestOf(operation, world, as);
      const token = world.tokenOf(as);
      for (const event of new Set(expected)) {
        const before = await snapshot();
        const logged = server.logs.length;
        const restore = await failAuditWrite(server, event);
        let res;
        try {
          res = await server.gql(query, variables, { token });
        } finally {
          await restore();
        }
        expectError(res, "INTERNAL_SERVER_ERROR");
        expect(res.body.errors![0]!.message).toBe("Internal server error");
        expect(res.raw).not.toMatch(/injected|secret\/path|SQLITE|audit_events/);
        expect(server.logs.slice(logged).join(""), `the failure of ${event} is logged`).toContain("injected fault");
        expect(changes(before, await snapshot()), `what the call failing on ${event} left in the database`).toEqual({});
      }
      // the fault gone, the very same call succeeds: the failed attempts left nothing in its way
      const since = await lastAuditId(server);
      const before = await snapshot();
      const res = await server.gql(query, variables, { token });
      expect(errorCodes(res), res.raw).toEqual([]);
      expect((await eventsAfter(since)).map((e) => e.event)).toEqual(expected);
      // (and the snapshots see what a call writes: its events at least)
      expect(changes(before, await snapshot()).audit_events?.added).toHaveLength(expected.length);
    });
  }
});
