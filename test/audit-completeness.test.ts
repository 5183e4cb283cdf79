// Every mutation's audit trail: for each Mutation field of the schema, the events one call
// writes (ids, actor, flags), run as a user and as an organization token wherever the
// permission matrix lets a token call it. A Mutation without an expectation here fails.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBareSchema } from "../src/graphql/schema.js";
import { AUDIT_EVENTS, type AuditEventId } from "../src/modules/audit/audit-events.js";
import { errorCodes, lastAuditId } from "./support/assertions.js";
import { contractFile } from "./support/contract.js";
import { EXTRA_OPERATIONS, EXTRA_ROWS } from "./support/extra-operations.js";
import { OPERATIONS } from "./support/operations.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { createWorld } from "./support/world.js";

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
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

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
    const { query, variables } = ALL_OPERATIONS[operation]!.request(world, as);
    const before = lastAuditId(server);
    const res = await server.gql(query, variables, { token: world.tokenOf(as) });
    expect(errorCodes(res), res.raw).toEqual([]);
    const events = server.app.db.$client.prepare("select * from audit_events where id > ? order by id").all(before) as Array<
      Record<string, unknown>
    >;
    const expected = EXPECTED[field]!;
    expect(events.map((e) => e.event)).toEqual(Array.isArray(expected) ? expected : []);
    for (const event of events) {
      const flags = AUDIT_EVENTS[event.event as AuditEventId];
      expect(event).toMatchObject({
        require_org_admin: Number(flags.requireOrgAdmin),
        require_stack_admin: Number(flags.requireStackAdmin),
        auth_failure: 0,
        source_ip: "127.0.0.1",
      });
      if (as === "orgToken") {
        expect(event).toMatchObject({ user_id: null, user_login: null, token_id: expect.any(String), token_name: expect.any(String) });
      } else {
        const user = world.userOf(as)!.user;
        expect(event).toMatchObject({ user_id: user.id, user_login: user.login, token_id: null, token_name: null });
      }
    }
  });
});
