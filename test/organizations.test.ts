import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createUser, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE = `mutation ($name: String!, $displayName: String) {
  createOrganization(input: { name: $name, displayName: $displayName }) {
    id name displayName viewerRole defaultStackPermission createdAt
    subscription { tier isTrial trialEndsAt organizationAccessTokensEnabled }
    members { totalCount nodes { role user { login } } }
  }
}`;
const SETTINGS = `mutation ($input: UpdateOrganizationSettingsInput!) {
  updateOrganizationSettings(input: $input) { name displayName defaultStackPermission }
}`;
const SUBSCRIPTION = `mutation ($input: SetSubscriptionInput!) {
  setOrganizationSubscription(input: $input) { name subscription { tier isTrial trialEndsAt organizationAccessTokensEnabled } }
}`;
const ORGANIZATION = `query ($name: String!) { organization(name: $name) { id name viewerRole } }`;

describe("createOrganization", () => {
  it("makes the caller ADMIN, on the TEAM tier, and writes organization-created", async () => {
    const alice = await createUser(server);
    const name = uniqueName("Acme");
    const res = await server.gql(CREATE, { name }, { token: alice.token });
    expectOk(res);
    const org = res.body.data!.createOrganization;
    expect(org).toMatchObject({
      name,
      displayName: name,
      viewerRole: "ADMIN",
      defaultStackPermission: "READ",
      subscription: { tier: "TEAM", isTrial: false, trialEndsAt: null, organizationAccessTokensEnabled: false },
      members: { totalCount: 1, nodes: [{ role: "ADMIN", user: { login: alice.user.login } }] },
    });
    const events = await auditEventsOf(server, org.id);
    expect(events.map((e) => e.event)).toEqual(["organization-created"]);
    expect(events[0]).toMatchObject({ userLogin: alice.user.login, authFailure: false, requireOrgAdmin: false });
  });

  it("refuses a name taken in any letter case with CONFLICT", async () => {
    const { name, admin } = await createOrg(server);
    expectError(await server.gql(CREATE, { name: name.toUpperCase() }, { token: admin.token }), "CONFLICT");
  });

  it("refuses invalid names and display names with BAD_USER_INPUT, writing nothing", async () => {
    const { token } = await createUser(server);
    for (const name of ["", "has space", "x".repeat(41), "ünïcode", "semi;colon"]) {
      expectError(await server.gql(CREATE, { name }, { token }), "BAD_USER_INPUT");
    }
    expectError(await server.gql(CREATE, { name: uniqueName("o"), displayName: "   " }, { token }), "BAD_USER_INPUT");
    expectError(await server.gql(CREATE, { name: uniqueName("o"), displayName: "x".repeat(101) }, { token }), "BAD_USER_INPUT");
    const { db, tables } = server.app.store;
    expect(await db.select({ n: count() }).from(tables.organizationsTable).where(eq(tables.organizationsTable.name, ""))).toEqual([
      { n: 0 },
    ]);
  });

  it("is refused to an organization token", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    expectError(await server.gql(CREATE, { name: uniqueName("o") }, { token }), "FORBIDDEN");
  });
});

describe("Query.organization", () => {
  it("returns the organization to its members and null to others, without telling absent from hidden", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const outsider = await createUser(server);
    const asMember = await server.gql(ORGANIZATION, { name: org.name.toUpperCase() }, { token: member.token });
    expectOk(asMember);
    expect(asMember.body.data!.organization).toMatchObject({ name: org.name, viewerRole: "MEMBER" });
    const hidden = await server.gql(ORGANIZATION, { name: org.name }, { token: outsider.token });
    const absent = await server.gql(ORGANIZATION, { name: uniqueName("nope") }, { token: outsider.token });
    expect(hidden.body).toEqual({ data: { organization: null } });
    expect(absent.body).toEqual({ data: { organization: null } });
  });

  it("gives an organization token its own organization, with viewerRole null", async () => {
    const org = await createOrg(server);
    const other = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const res = await server.gql(ORGANIZATION, { name: org.name }, { token });
    expect(res.body.data!.organization).toMatchObject({ name: org.name, viewerRole: null });
    expect((await server.gql(ORGANIZATION, { name: other.name }, { token })).body.data!.organization).toBeNull();
  });
});

describe("updateOrganizationSettings", () => {
  it("changes the display name and default stack permission, with one audit event", async () => {
    const org = await createOrg(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const res = await server.gql(
      SETTINGS,
      { input: { organization: org.name, displayName: "Acme Corp", defaultStackPermission: "WRITE" } },
      { token: org.admin.token },
    );
    expectOk(res);
    expect(res.body.data!.updateOrganizationSettings).toEqual({
      name: org.name,
      displayName: "Acme Corp",
      defaultStackPermission: "WRITE",
    });
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => e.event)).toEqual(["organization-settings-changed"]);
    expect(events[0]!.description).toContain("Acme Corp");
  });

  it("refuses ADMIN as a default, an empty change and a blank display name", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    for (const input of [
      { organization: org.name, defaultStackPermission: "ADMIN" },
      { organization: org.name },
      { organization: org.name, displayName: "" },
    ]) {
      expectError(await server.gql(SETTINGS, { input }, { token }), "BAD_USER_INPUT");
    }
    expectError(
      await server.gql(SETTINGS, { input: { organization: org.name, defaultStackPermission: "OWNER" } }, { token }),
      "BAD_USER_INPUT",
    );
  });

  it("refuses a member with FORBIDDEN and records the auth failure; an outsider leaves no trace", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const outsider = await createUser(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = { organization: org.name, displayName: "Hijacked" };
    expectError(await server.gql(SETTINGS, { input }, { token: member.token }), "FORBIDDEN");
    expectError(await server.gql(SETTINGS, { input }, { token: outsider.token }), "FORBIDDEN");
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: "auth-failure-organization-role",
      authFailure: true,
      requireOrgAdmin: true,
      userLogin: member.user.login,
    });
    expect(events[0]!.description).toContain("updateOrganizationSettings");
    const displayName = await server.sql("select display_name from organizations where id = $1", [org.organization.id]);
    expect(displayName).toEqual([{ display_name: org.name }]);
  });
});

describe("setOrganizationSubscription", () => {
  it("sets a paid tier or a trial, for site admins only", async () => {
    const org = await createOrg(server, { tier: "TEAM" });
    const site = await createUser(server, { siteAdmin: true });
    const trialEndsAt = new Date(Date.now() + 14 * 86_400_000).toISOString();
    const trial = await server.gql(
      SUBSCRIPTION,
      { input: { organization: org.name, tier: "ENTERPRISE_GROWTH", trialEndsAt } },
      { token: site.token },
    );
    expectOk(trial);
    expect(trial.body.data!.setOrganizationSubscription.subscription).toEqual({
      tier: "ENTERPRISE_GROWTH",
      isTrial: true,
      trialEndsAt,
      organizationAccessTokensEnabled: true,
    });
    const paid = await server.gql(SUBSCRIPTION, { input: { organization: org.name, tier: "INDIVIDUAL" } }, { token: site.token });
    expect(paid.body.data!.setOrganizationSubscription.subscription).toEqual({
      tier: "INDIVIDUAL",
      isTrial: false,
      trialEndsAt: null,
      organizationAccessTokensEnabled: false,
    });
    const events = (await auditEventsOf(server, org.organization.id)).filter((e) => e.event === "subscription-changed");
    expect(events.map((e) => e.userLogin)).toEqual([null, site.user.login, site.user.login]);

    expectError(
      await server.gql(SUBSCRIPTION, { input: { organization: org.name, tier: "BUSINESS_CRITICAL" } }, { token: org.admin.token }),
      "FORBIDDEN",
    );
  });

  it("refuses an unknown organization, a past trial end and an unknown tier", async () => {
    const site = await createUser(server, { siteAdmin: true });
    const org = await createOrg(server);
    expectError(
      await server.gql(SUBSCRIPTION, { input: { organization: uniqueName("none"), tier: "TEAM" } }, { token: site.token }),
      "NOT_FOUND",
    );
    expectError(
      await server.gql(
        SUBSCRIPTION,
        { input: { organization: org.name, tier: "TEAM", trialEndsAt: new Date(Date.now() - 1000).toISOString() } },
        { token: site.token },
      ),
      "BAD_USER_INPUT",
    );
    expectError(
      await server.gql(SUBSCRIPTION, { input: { organization: org.name, tier: "GOLD" } }, { token: site.token }),
      "BAD_USER_INPUT",
    );
    expectError(
      await server.gql(SUBSCRIPTION, { input: { organization: org.name, tier: "TEAM", trialEndsAt: "next week" } }, { token: site.token }),
      "BAD_USER_INPUT",
    );
  });
});
