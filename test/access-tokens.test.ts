import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createUser, setTier, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE_PAT = `mutation ($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) { secret token { id description createdAt lastUsedAt expiresAt } }
}`;
const DELETE_PAT = `mutation ($id: ID!) { deletePersonalAccessToken(id: $id) }`;
const LIST_PAT = `{ personalAccessTokens { id description } }`;
const CREATE_OAT = `mutation ($input: CreateOrganizationAccessTokenInput!) {
  createOrganizationAccessToken(input: $input) {
    secret token { id name description createdAt lastUsedAt expiresAt deletedAt createdBy { login } organization { name } }
  }
}`;
const DELETE_OAT = `mutation ($org: String!, $id: ID!) { deleteOrganizationAccessToken(organization: $org, id: $id) }`;
const LIST_OAT = `query ($org: String!, $all: Boolean) { organization(name: $org) { accessTokens(includeDeleted: $all) { id name deletedAt } } }`;

describe("personal access tokens", () => {
  it("are created, listed to their owner only, and deleted", async () => {
    const alice = await createUser(server);
    const bob = await createUser(server);
    const created = await server.gql(CREATE_PAT, { input: { description: "laptop" } }, { token: alice.token });
    expectOk(created);
    const { secret, token } = created.body.data!.createPersonalAccessToken;
    expect(secret).toMatch(/^gtp_[0-9A-Za-z]{36}$/);
    expect(token).toMatchObject({ description: "laptop", lastUsedAt: null, expiresAt: null });
    expect(token.id).toMatch(/^[0-9a-f-]{36}$/);

    const aliceList = (await server.gql(LIST_PAT, {}, { token: alice.token })).body.data!.personalAccessTokens;
    expect(aliceList.map((t: any) => t.description)).toEqual(["First token, issued with the account", "laptop"]);
    const bobList = (await server.gql(LIST_PAT, {}, { token: bob.token })).body.data!.personalAccessTokens;
    expect(bobList.map((t: any) => t.id)).not.toContain(token.id);

    expectError(await server.gql(DELETE_PAT, { id: token.id }, { token: bob.token }), "NOT_FOUND");
    expectOk(await server.gql("{ viewer { kind } }", {}, { token: secret }));
    const deleted = await server.gql(DELETE_PAT, { id: token.id }, { token: alice.token });
    expect(deleted.body.data).toEqual({ deletePersonalAccessToken: true });
    expectError(await server.gql(DELETE_PAT, { id: token.id }, { token: alice.token }), "NOT_FOUND");
    expect((await server.gql(LIST_PAT, {}, { token: alice.token })).body.data!.personalAccessTokens).toHaveLength(1);
    expect((await server.gql("{ viewer { kind } }", {}, { token: secret })).status).toBe(401);
  });

  it("refuse bad descriptions and expiry dates", async () => {
    const { token } = await createUser(server);
    const inThreeYears = new Date(Date.now() + 3 * 366 * 86_400_000).toISOString();
    for (const input of [
      { description: "" },
      { description: "   " },
      { description: "x".repeat(201) },
      { description: "ok", expiresAt: new Date(Date.now() - 60_000).toISOString() },
      { description: "ok", expiresAt: inThreeYears },
      { description: "ok", expiresAt: "tomorrow" },
      { description: "bell\u0007" },
    ]) {
      expectError(await server.gql(CREATE_PAT, { input }, { token }), "BAD_USER_INPUT");
    }
    const ok = await server.gql(
      CREATE_PAT,
      { input: { description: "two years", expiresAt: new Date(Date.now() + 700 * 86_400_000).toISOString() } },
      { token },
    );
    expectOk(ok);
  });

  it("refuse a malformed id as NOT_FOUND", async () => {
    const { token } = await createUser(server);
    expectError(await server.gql(DELETE_PAT, { id: "not-a-uuid" }, { token }), "NOT_FOUND");
  });

  it("cannot be created, listed or deleted by an organization token", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    expectError(await server.gql(CREATE_PAT, { input: { description: "x" } }, { token }), "FORBIDDEN");
    expectError(await server.gql(LIST_PAT, {}, { token }), "FORBIDDEN");
    expectError(await server.gql(DELETE_PAT, { id: org.admin.tokenRow.id }, { token }), "FORBIDDEN");
  });
});

describe("organization access tokens", () => {
  it("are created by an admin, belong to the organization and write audit events", async () => {
    const org = await createOrg(server);
    const secondAdmin = await addMember(server, org, "ADMIN");
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const res = await server.gql(
      CREATE_OAT,
      { input: { organization: org.name, name: "ci.deploy-1", description: "CI" } },
      { token: org.admin.token },
    );
    expectOk(res);
    const { secret, token } = res.body.data!.createOrganizationAccessToken;
    expect(secret).toMatch(/^gto_[0-9A-Za-z]{36}$/);
    expect(token).toMatchObject({
      name: "ci.deploy-1",
      description: "CI",
      deletedAt: null,
      createdBy: { login: org.admin.user.login },
      organization: { name: org.name },
    });

    // another admin lists and deletes it: the token is the organization's, not its creator's
    const list = await server.gql(LIST_OAT, { org: org.name }, { token: secondAdmin.token });
    expect(list.body.data!.organization.accessTokens.map((t: any) => t.name)).toContain("ci.deploy-1");
    expectOk(await server.gql(DELETE_OAT, { org: org.name, id: token.id }, { token: secondAdmin.token }));
    const live = await server.gql(LIST_OAT, { org: org.name }, { token: org.admin.token });
    expect(live.body.data!.organization.accessTokens.map((t: any) => t.id)).not.toContain(token.id);
    const all = await server.gql(LIST_OAT, { org: org.name, all: true }, { token: org.admin.token });
    const deleted = all.body.data!.organization.accessTokens.find((t: any) => t.id === token.id);
    expect(deleted.deletedAt).toMatch(/^\d{4}-/);

    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => [e.event, e.userLogin])).toEqual([
      ["organization-token-created", org.admin.user.login],
      ["organization-token-deleted", secondAdmin.user.login],
    ]);
    expect(events.every((e) => e.requireOrgAdmin)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("keep their names reserved after deletion, ignoring case (CONFLICT)", async () => {
    const org = await createOrg(server);
    const { row } = await createOrgToken(server, org, { name: "deployer" });
    const input = { organization: org.name, name: "deployer" };
    expectError(await server.gql(CREATE_OAT, { input }, { token: org.admin.token }), "CONFLICT");
    expectOk(await server.gql(DELETE_OAT, { org: org.name, id: row.id }, { token: org.admin.token }));
    expectError(await server.gql(CREATE_OAT, { input }, { token: org.admin.token }), "CONFLICT");
    expectError(await server.gql(CREATE_OAT, { input: { ...input, name: "DEPLOYER" } }, { token: org.admin.token }), "CONFLICT");
    // another organization may use the name
    const other = await createOrg(server);
    expectOk(await server.gql(CREATE_OAT, { input: { organization: other.name, name: "deployer" } }, { token: other.admin.token }));
  });

  it("refuse invalid names, descriptions and expiry dates", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    for (const name of ["", "with space", "x".repeat(41), "slash/name", "émoji"]) {
      expectError(await server.gql(CREATE_OAT, { input: { organization: org.name, name } }, { token }), "BAD_USER_INPUT");
    }
    expectError(
      await server.gql(CREATE_OAT, { input: { organization: org.name, name: "ok", description: "y".repeat(201) } }, { token }),
      "BAD_USER_INPUT",
    );
    expectError(
      await server.gql(CREATE_OAT, { input: { organization: org.name, name: "ok", expiresAt: new Date(0).toISOString() } }, { token }),
      "BAD_USER_INPUT",
    );
    expectOk(await server.gql(CREATE_OAT, { input: { organization: org.name, name: "x".repeat(40) } }, { token }));
  });

  it("can be created only on ENTERPRISE_GROWTH or BUSINESS_CRITICAL, paid or in trial", async () => {
    const org = await createOrg(server, { tier: "TEAM" });
    const input = { organization: org.name, name: uniqueName("t") };
    const refused = await server.gql(CREATE_OAT, { input }, { token: org.admin.token });
    expectError(refused, "FORBIDDEN", /subscription/);
    expect((await auditEventsOf(server, org.organization.id)).filter((e) => e.authFailure)).toHaveLength(0);
    await setTier(server, org.name, "BUSINESS_CRITICAL", new Date(Date.now() + 86_400_000));
    expectOk(await server.gql(CREATE_OAT, { input }, { token: org.admin.token }));
  });

  it("are console-only: members and org tokens are refused (audited), outsiders too (not audited)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const orgToken = await createOrgToken(server, org);
    const outsider = await createUser(server);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    for (const token of [member.token, orgToken.token, outsider.token]) {
      expectError(await server.gql(CREATE_OAT, { input: { organization: org.name, name: uniqueName("t") } }, { token }), "FORBIDDEN");
      expectError(await server.gql(DELETE_OAT, { org: org.name, id: orgToken.row.id }, { token }), "FORBIDDEN");
    }
    const list = await server.gql(LIST_OAT, { org: org.name }, { token: member.token });
    expectError(list, "FORBIDDEN");
    expect(list.body.data!.organization).toEqual({ accessTokens: null });
    const events = (await auditEventsOf(server, org.organization.id)).slice(before);
    expect(events.map((e) => e.event)).toEqual(Array(5).fill("auth-failure-organization-role"));
    expect(events.map((e) => e.tokenName)).toEqual([null, null, orgToken.row.name, orgToken.row.name, null]);
  });

  it("deleting an unknown, foreign or already deleted token is NOT_FOUND", async () => {
    const org = await createOrg(server);
    const other = await createOrg(server);
    const foreign = await createOrgToken(server, other);
    const mine = await createOrgToken(server, org);
    const token = org.admin.token;
    expectError(await server.gql(DELETE_OAT, { org: org.name, id: foreign.row.id }, { token }), "NOT_FOUND");
    expectError(await server.gql(DELETE_OAT, { org: org.name, id: "00000000-0000-4000-8000-000000000000" }, { token }), "NOT_FOUND");
    expectError(await server.gql(DELETE_OAT, { org: org.name, id: "junk" }, { token }), "NOT_FOUND");
    expectError(await server.gql(DELETE_OAT, { org: org.name, id: org.admin.tokenRow.id }, { token }), "NOT_FOUND");
    expectOk(await server.gql(DELETE_OAT, { org: org.name, id: mine.row.id }, { token }));
    expectError(await server.gql(DELETE_OAT, { org: org.name, id: mine.row.id }, { token }), "NOT_FOUND");
  });
});
