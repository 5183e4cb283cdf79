import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createUser, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE_USER = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) { secret user { id login name email isSiteAdmin createdAt } token { id description expiresAt } }
}`;

describe("createUser", () => {
  it("creates a user with a first personal token, for a site admin", async () => {
    const site = await createUser(server, { siteAdmin: true });
    const login = uniqueName("Dana");
    const res = await server.gql(CREATE_USER, { input: { login, name: "Dana Scully", email: "dana@example.test" } }, { token: site.token });
    expectOk(res);
    const payload = res.body.data!.createUser;
    expect(payload.user).toMatchObject({ login, name: "Dana Scully", email: "dana@example.test", isSiteAdmin: false });
    const viewer = await server.gql("{ viewer { kind tokenId user { login } organizations { role } } }", {}, { token: payload.secret });
    expect(viewer.body.data!.viewer).toEqual({ kind: "USER", tokenId: payload.token.id, user: { login }, organizations: [] });
  });

  it("refuses taken logins (any case), invalid logins and emails", async () => {
    const site = await createUser(server, { siteAdmin: true });
    const taken = await createUser(server);
    const token = site.token;
    expectError(await server.gql(CREATE_USER, { input: { login: taken.user.login.toUpperCase() } }, { token }), "CONFLICT");
    for (const login of ["", "a b", "x".repeat(41), "a/b"]) {
      expectError(await server.gql(CREATE_USER, { input: { login } }, { token }), "BAD_USER_INPUT");
    }
    expectError(await server.gql(CREATE_USER, { input: { login: uniqueName("u"), email: "not an email" } }, { token }), "BAD_USER_INPUT");
  });

  it("is refused to everyone but site admins", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    for (const caller of [org.admin.token, token, (await addMember(server, org)).token]) {
      expectError(await server.gql(CREATE_USER, { input: { login: uniqueName("u") } }, { token: caller }), "FORBIDDEN");
    }
  });
});

describe("viewer", () => {
  it("lists a user's organizations with roles", async () => {
    const alice = await createUser(server);
    const a = await createOrg(server, { admin: alice });
    const b = await createOrg(server);
    await addMember(server, b, "BILLING_MANAGER", alice);
    const res = await server.gql("{ viewer { organizations { role organization { name } } } }", {}, { token: alice.token });
    const got = res.body.data!.viewer.organizations.map((m: any) => [m.organization.name, m.role]);
    expect(got).toEqual(
      expect.arrayContaining([
        [a.name, "ADMIN"],
        [b.name, "BILLING_MANAGER"],
      ]),
    );
    expect(got).toHaveLength(2);
  });

  it("tells an org token who it is", async () => {
    const org = await createOrg(server);
    const { token, row } = await createOrgToken(server, org, { name: "release-bot" });
    const res = await server.gql(
      "{ viewer { kind tokenId user { id } organizationToken { id name organization { name } } organizations { role organization { name } } } }",
      {},
      { token },
    );
    expect(res.body.data!.viewer).toEqual({
      kind: "ORGANIZATION_TOKEN",
      tokenId: row.id,
      user: null,
      organizationToken: { id: row.id, name: "release-bot", organization: { name: org.name } },
      organizations: [{ role: null, organization: { name: org.name } }],
    });
  });
});
