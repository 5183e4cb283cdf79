import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { createOrg, createOrgToken, createUser, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Makes the server's own connection fail when it writes the audit event `event`. */
function failAuditWrite(event: string): () => void {
  const sqlite = server.app.db.$client;
  sqlite.exec(
    `CREATE TEMP TRIGGER inject_fault BEFORE INSERT ON audit_events WHEN NEW.event = '${event}'
     BEGIN SELECT RAISE(ABORT, 'injected fault at /secret/path'); END`,
  );
  return () => sqlite.exec("DROP TRIGGER temp.inject_fault");
}

describe("audit events land in the same transaction as the change", () => {
  it("createOrganization: when the event cannot be written, neither the organization nor its admin membership exists", async () => {
    const alice = await createUser(server);
    const name = uniqueName("doomed");
    const restore = failAuditWrite("organization-created");
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
      restore();
    }
    const sqlite = server.app.db.$client;
    expect(sqlite.prepare("select count(*) as n from organizations where name = ?").get(name)).toEqual({ n: 0 });
    expect(sqlite.prepare("select count(*) as n from memberships where user_id = ?").get(alice.user.id)).toEqual({ n: 0 });
    expect(server.logs.join("")).toContain("injected fault");
    // and the same call succeeds once the fault is gone
    expectOk(
      await server.gql(`mutation ($name: String!) { createOrganization(input: { name: $name }) { id } }`, { name }, { token: alice.token }),
    );
  });

  it("createOrganizationAccessToken: no token row without its event", async () => {
    const org = await createOrg(server);
    const before = auditEventsOf(server, org.organization.id).length;
    const restore = failAuditWrite("organization-token-created");
    try {
      const res = await server.gql(
        `mutation ($org: String!) { createOrganizationAccessToken(input: { organization: $org, name: "ci" }) { secret } }`,
        { org: org.name },
        { token: org.admin.token },
      );
      expectError(res, "INTERNAL_SERVER_ERROR");
    } finally {
      restore();
    }
    const sqlite = server.app.db.$client;
    expect(sqlite.prepare("select count(*) as n from access_tokens where organization_id = ?").get(org.organization.id)).toEqual({ n: 0 });
    expect(auditEventsOf(server, org.organization.id)).toHaveLength(before);
  });

  it("removeOrganizationMember: the membership stays when the event fails", async () => {
    const org = await createOrg(server);
    const bob = await createUser(server);
    await server.app.services.members.add(org.admin.caller, org.organization, { organization: org.name, login: bob.user.login });
    const restore = failAuditWrite("member-removed");
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
      restore();
    }
    const row = server.app.db.$client
      .prepare("select role from memberships where organization_id = ? and user_id = ?")
      .get(org.organization.id, bob.user.id);
    expect(row).toEqual({ role: "MEMBER" });
  });
});

describe("audit events record their actor as it was", () => {
  it("a user (login, name, avatar) and an org token (id, name), with source IP and user agent", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org, { name: "deploy-bot" });
    const before = auditEventsOf(server, org.organization.id).length;
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
    const [byUser, byToken] = auditEventsOf(server, org.organization.id).slice(before);
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
    server.app.db.$client.prepare("update users set name = 'Renamed' where id = ?").run(org.admin.user.id);
    expect(auditEventsOf(server, org.organization.id)[before]!.userName).toBe(org.admin.user.name);
  });
});

describe("the audit log is append-only", () => {
  it("refuses UPDATE and DELETE through SQL", async () => {
    const org = await createOrg(server);
    const [event] = auditEventsOf(server, org.organization.id);
    const sqlite = server.app.db.$client;
    expect(() => sqlite.prepare("update audit_events set description = 'rewritten' where id = ?").run(event!.id)).toThrow(/append-only/);
    expect(() => sqlite.prepare("delete from audit_events where id = ?").run(event!.id)).toThrow(/append-only/);
    expect(() => sqlite.prepare("delete from audit_events").run()).toThrow(/append-only/);
    expect(auditEventsOf(server, org.organization.id)[0]).toEqual(event);
  });
});
