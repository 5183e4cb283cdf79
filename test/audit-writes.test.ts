import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createUser, uniqueName } from "./support/factories.js";
import { failAuditWrite } from "./support/faults.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** `select count(*) as n …` on both backends (PostgreSQL's count is a bigint, read as a string). */
async function count(text: string, params: unknown[]): Promise<number> {
  const [row] = await server.sql<{ n: number | string }>(text, params);
  return Number(row!.n);
}

// Three mutations in detail (what exactly stays as it was); test/audit-completeness.test.ts
// runs the same fault for every event of every mutation it walks.
describe("audit events land in the same transaction as the change", () => {
  it("createOrganization: when the event cannot be written, neither the organization nor its admin membership exists", async () => {
    const alice = await createUser(server);
    const name = uniqueName("doomed");
    const restore = await failAuditWrite(server, "organization-created");
    try {
      const res = await server.gql(
        `mutation ($name: String!) { createOrganization(input: { name: $name }) { id } }`,
        { name },
        { token: alice.token },
      );
      expectError(res, "INTERNAL_SERVER_ERROR");
      expect(res.body.errors![0]!.message).toBe("Internal server error");
      expect(res.raw).not.toMatch(/injected|secret\/path|SQLITE|audit_events/);
    } finally {
      await restore();
    }
    expect(await count("select count(*) as n from organizations where name = $1", [name])).toBe(0);
    expect(await count("select count(*) as n from memberships where user_id = $1", [alice.user.id])).toBe(0);
    expect(server.logs.join("")).toContain("injected fault");
    // and the same call succeeds once the fault is gone
    expectOk(
      await server.gql(`mutation ($name: String!) { createOrganization(input: { name: $name }) { id } }`, { name }, { token: alice.token }),
    );
  });

  it("createOrganizationAccessToken: no token row without its event", async () => {
    const org = await createOrg(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const restore = await failAuditWrite(server, "organization-token-created");
    try {
      const res = await server.gql(
        `mutation ($org: String!) { createOrganizationAccessToken(input: { organization: $org, name: "ci" }) { secret } }`,
        { org: org.name },
        { token: org.admin.token },
      );
      expectError(res, "INTERNAL_SERVER_ERROR");
    } finally {
      await restore();
    }
    expect(await count("select count(*) as n from access_tokens where organization_id = $1", [org.organization.id])).toBe(0);
    expect(await auditEventsOf(server, org.organization.id)).toHaveLength(before);
  });

  it("removeOrganizationMember: the membership stays when the event fails", async () => {
    const org = await createOrg(server);
    const bob = await createUser(server);
    await server.app.services.members.add(org.admin.caller, org.organization, { organization: org.name, login: bob.user.login });
    const restore = await failAuditWrite(server, "member-removed");
    try {
      expectError(
        await server.gql(
          `mutation ($org: String!, $login: String!) { removeOrganizationMember(input: { organization: $org, login: $login }) }`,
          { org: org.name, login: bob.user.login },
          { token: org.admin.token },
        ),
        "INTERNAL_SERVER_ERROR",
      );
    } finally {
      await restore();
    }
    const rows = await server.sql("select role from memberships where organization_id = $1 and user_id = $2", [
      org.organization.id,
      bob.user.id,
    ]);
    expect(rows).toEqual([{ role: "MEMBER" }]);
  });
});

describe("audit events record their actor as it was", () => {
  it("a user (login, name, avatar) and an org token (id, name), with source IP and user agent", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org, { name: "deploy-bot" });
    const before = (await auditEventsOf(server, org.organization.id)).length;
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "X" }) { id } }`,
      { org: org.name },
      { token: org.admin.token, headers: { "user-agent": "curl/8.0" } },
    );
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "Y" }) { id } }`,
      { org: org.name },
      { token, headers: { "user-agent": "ci-runner/1.2" } },
    );
    const [byUser, byToken] = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(byUser).toMatchObject({
      event: "organization-settings-changed",
      userId: org.admin.user.id,
      userLogin: org.admin.user.login,
      userName: org.admin.user.name,
      tokenId: null,
      tokenName: null,
      sourceIp: "127.0.0.1",
      userAgent: "curl/8.0",
      authFailure: false,
    });
    expect(byToken).toMatchObject({
      event: "auth-failure-organization-role",
      userLogin: null,
      tokenId: row.id,
      tokenName: "deploy-bot",
      userAgent: "ci-runner/1.2",
      authFailure: true,
    });
    // a later rename does not rewrite history
    await server.sql("update users set name = 'Renamed' where id = $1", [org.admin.user.id]);
    expect((await auditEventsOf(server, org.organization.id))[before]!.userName).toBe(org.admin.user.name);
  });
});

describe("the audit log is append-only", () => {
  it("refuses UPDATE and DELETE through SQL", async () => {
    const org = await createOrg(server);
    const [event] = await auditEventsOf(server, org.organization.id);
    await expect(server.sql("update audit_events set description = 'rewritten' where id = $1", [event!.id])).rejects.toThrow(/append-only/);
    await expect(server.sql("delete from audit_events where id = $1", [event!.id])).rejects.toThrow(/append-only/);
    await expect(server.sql("delete from audit_events")).rejects.toThrow(/append-only/);
    expect((await auditEventsOf(server, org.organization.id))[0]).toEqual(event);
  });
});
