import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import {
  addMember,
  createOrg,
  createOrgToken,
  createStack,
  createTeam,
  createUser,
  grant,
  type OrgFixture,
  type StackFixture,
  startUpdate,
  uniqueName,
} from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CREATE = `mutation ($input: CreateStackInput!) {
  createStack(input: $input) { id project name fullyQualifiedName viewerPermission resourceCount lastUpdatedAt organization { name } tags { name value } }
}`;
const LIST = `query ($org: String!, $first: Int, $after: String, $project: String, $tagName: String, $tagValue: String) {
  organization(name: $org) {
    stacks(first: $first, after: $after, project: $project, tagName: $tagName, tagValue: $tagValue) {
      totalCount pageInfo { hasNextPage endCursor } nodes { project name viewerPermission }
    }
  }
}`;
const GET = `query ($org: String!, $project: String!, $name: String!) {
  organization(name: $org) { stack(project: $project, name: $name) { name viewerPermission resourceCount state } }
}`;
const DELETE = `mutation ($stack: StackRef!, $force: Boolean) { deleteStack(input: { stack: $stack, force: $force }) }`;
const TRANSFER = `mutation ($stack: StackRef!, $to: String!) {
  transferStack(input: { stack: $stack, destinationOrganization: $to }) { fullyQualifiedName organization { name } viewerPermission }
}`;
const IMPORT = `mutation ($stack: StackRef!, $state: JSON!) { importStackState(input: { stack: $stack, state: $state }) { resourceCount } }`;

const ref = (s: StackFixture) => ({ organization: s.organization, project: s.project, stack: s.stack });
const newEvents = async (org: OrgFixture, before: number) => (await auditEventsOf(server, org.organization.id)).slice(before);
// count(*) is a number on SQLite, a string (bigint) on PostgreSQL
const count = async (sql: string, ...args: unknown[]) => Number((await server.sql<{ n: number | string }>(sql, args))[0]!.n);

describe("createStack", () => {
  it("creates the stack with its pulumi:project tag and makes a member creator ADMIN on it", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = {
      organization: org.name,
      project: "web-api",
      stack: "prod",
      tags: [
        { name: "vcs:repo", value: "acme/web" },
        { name: "env", value: "production" },
      ],
    };
    const res = await server.gql(CREATE, { input }, { token: member.token });
    expectOk(res);
    expect(res.body.data!.createStack).toMatchObject({
      project: "web-api",
      name: "prod",
      fullyQualifiedName: `${org.name}/web-api/prod`,
      viewerPermission: "ADMIN",
      resourceCount: 0,
      lastUpdatedAt: null,
      organization: { name: org.name },
      tags: [
        { name: "env", value: "production" },
        { name: "pulumi:project", value: "web-api" },
        { name: "vcs:repo", value: "acme/web" },
      ],
    });
    expect((await newEvents(org, before)).map((e) => [e.event, e.userLogin])).toEqual([["stack-created", member.user.login]]);
    // the same name in the same project is taken; another project may use it
    expectError(await server.gql(CREATE, { input }, { token: org.admin.token }), "CONFLICT");
    expectOk(await server.gql(CREATE, { input: { ...input, project: "other" } }, { token: org.admin.token }));
  });

  it("gives an org token WRITE on the stack it creates", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    const res = await server.gql(CREATE, { input: { organization: org.name, project: "p", stack: "s" } }, { token });
    expect(res.body.data!.createStack.viewerPermission).toBe("WRITE");
  });

  it("refuses bad names and tags with BAD_USER_INPUT and writes nothing", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    const base = { organization: org.name, project: "p", stack: "s" };
    const before = (await auditEventsOf(server, org.organization.id)).length;
    for (const input of [
      { ...base, project: "" },
      { ...base, stack: "has space" },
      { ...base, stack: "x".repeat(101) },
      { ...base, project: "a/b" },
      { ...base, tags: [{ name: "bad name", value: "v" }] },
      { ...base, tags: [{ name: "x".repeat(41), value: "v" }] },
      { ...base, tags: [{ name: "ok", value: "v".repeat(257) }] },
      {
        ...base,
        tags: [
          { name: "dup", value: "1" },
          { name: "dup", value: "2" },
        ],
      },
      { ...base, tags: [{ name: "pulumi:project", value: "not-p" }] },
    ]) {
      expectError(await server.gql(CREATE, { input }, { token }), "BAD_USER_INPUT");
    }
    expect(await count("select count(*) as n from stacks where organization_id = $1", org.organization.id)).toBe(0);
    expect(await newEvents(org, before)).toEqual([]);
    expectOk(
      await server.gql(CREATE, { input: { ...base, stack: "x".repeat(100), tags: [{ name: "ok", value: "v".repeat(256) }] } }, { token }),
    );
  });

  it("is refused to a billing manager (audited) and an outsider (not)", async () => {
    const org = await createOrg(server);
    const billing = await addMember(server, org, "BILLING_MANAGER");
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const input = { organization: org.name, project: "p", stack: uniqueName("s") };
    expectError(await server.gql(CREATE, { input }, { token: billing.token }), "FORBIDDEN");
    expectError(await server.gql(CREATE, { input }, { token: (await createUser(server)).token }), "FORBIDDEN");
    expect((await newEvents(org, before)).map((e) => e.event)).toEqual(["auth-failure-organization-role"]);
  });
});

describe("Organization.stacks", () => {
  it("pages in creation order; stacks created meanwhile are listed once, last", async () => {
    const org = await createOrg(server);
    for (let i = 0; i < 5; i++) await createStack(server, org, { name: `s${i}` });
    const seen: string[] = [];
    let after: string | null = null;
    let first = true;
    do {
      const res = await server.gql(LIST, { org: org.name, first: 2, after }, { token: org.admin.token });
      expectOk(res);
      const conn: any = res.body.data!.organization.stacks;
      expect(conn.totalCount).toBe(first ? 5 : 6);
      seen.push(...conn.nodes.map((n: any) => n.name));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      if (first) await createStack(server, org, { name: "late" });
      first = false;
    } while (after);
    expect(seen).toEqual(["s0", "s1", "s2", "s3", "s4", "late"]);
  });

  it("filters by project and by tag name and value", async () => {
    const org = await createOrg(server);
    await createStack(server, org, { project: "web", name: "dev", tags: [{ name: "env", value: "dev" }] });
    await createStack(server, org, { project: "web", name: "prod", tags: [{ name: "env", value: "prod" }] });
    await createStack(server, org, { project: "db", name: "prod", tags: [{ name: "env", value: "prod" }] });
    await createStack(server, org, { project: "db", name: "scratch" });
    const names = async (vars: Record<string, unknown>) => {
      const res = await server.gql(LIST, { org: org.name, ...vars }, { token: org.admin.token });
      expectOk(res);
      const conn = res.body.data!.organization.stacks;
      expect(conn.totalCount).toBe(conn.nodes.length);
      return conn.nodes.map((n: any) => `${n.project}/${n.name}`);
    };
    expect(await names({ project: "web" })).toEqual(["web/dev", "web/prod"]);
    expect(await names({ tagName: "env" })).toEqual(["web/dev", "web/prod", "db/prod"]);
    expect(await names({ tagName: "env", tagValue: "prod" })).toEqual(["web/prod", "db/prod"]);
    expect(await names({ project: "db", tagName: "env", tagValue: "prod" })).toEqual(["db/prod"]);
    expect(await names({ tagName: "pulumi:project", tagValue: "db" })).toEqual(["db/prod", "db/scratch"]);
    expect(await names({ project: "none" })).toEqual([]);
    expectError(await server.gql(LIST, { org: org.name, tagValue: "prod" }, { token: org.admin.token }), "BAD_USER_INPUT");
    expectError(await server.gql(LIST, { org: org.name, first: 101 }, { token: org.admin.token }), "BAD_USER_INPUT");
  });

  it("hides what a member cannot READ, and totalCount agrees", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const visible = [
      await createStack(server, org, { name: "granted" }),
      await createStack(server, org, { as: member.caller, name: "own" }),
    ];
    for (let i = 0; i < 4; i++) await createStack(server, org, { name: `hidden${i}` });
    const team = await createTeam(server, org, { members: [member] });
    await grant(server, org, team.name, visible[0]!, "READ");
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, defaultStackPermission: NONE }) { id } }`,
      { org: org.name },
      { token: org.admin.token },
    );
    const page = async (first: number, after?: string) =>
      (await server.gql(LIST, { org: org.name, first, after }, { token: member.token })).body.data!.organization.stacks;
    const all = await page(50);
    expect(all.totalCount).toBe(2);
    expect(all.nodes.map((n: any) => [n.name, n.viewerPermission])).toEqual([
      ["granted", "READ"],
      ["own", "ADMIN"],
    ]);
    const one = await page(1);
    expect(one).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const two = await page(1, one.pageInfo.endCursor);
    expect(two).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false }, nodes: [{ name: "own" }] });
    // a hidden stack looks absent: null to read, NOT_FOUND to act on
    const hidden = { organization: org.name, project: "app", stack: "hidden0" };
    expect(
      (await server.gql(GET, { org: org.name, project: "app", name: "hidden0" }, { token: member.token })).body.data!.organization.stack,
    ).toBeNull();
    expectError(await server.gql(DELETE, { stack: hidden }, { token: member.token }), "NOT_FOUND");
    expectError(await server.gql(IMPORT, { stack: hidden, state: {} }, { token: member.token }), "NOT_FOUND");
  });
});

describe("state", () => {
  it("importStackState sets the checkpoint and resourceCount; reading it is audited as stack-exported", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const token = org.admin.token;
    const state = { version: 3, deployment: { manifest: { time: "t" }, resources: [{ urn: "a" }, { urn: "b" }, { urn: "c" }] } };
    expect(
      (await server.gql(GET, { org: org.name, project: stack.project, name: stack.stack }, { token })).body.data!.organization.stack.state,
    ).toBeNull();
    const imported = await server.gql(IMPORT, { stack: ref(stack), state }, { token });
    expectOk(imported);
    expect(imported.body.data!.importStackState.resourceCount).toBe(3);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    const read = await server.gql(GET, { org: org.name, project: stack.project, name: stack.stack }, { token });
    expect(read.body.data!.organization.stack).toMatchObject({ resourceCount: 3, state });
    expect((await newEvents(org, before)).map((e) => e.event)).toEqual(["stack-exported"]);
    // a bare deployment is accepted too
    const bare = await server.gql(IMPORT, { stack: ref(stack), state: { resources: [{ urn: "x" }] } }, { token });
    expect(bare.body.data!.importStackState.resourceCount).toBe(1);
  });

  it("refuses state that is not a deployment, and an import while an update runs", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const token = org.admin.token;
    for (const state of [[1, 2], "text", 42, { deployment: { resources: "many" } }]) {
      expectError(await server.gql(IMPORT, { stack: ref(stack), state }, { token }), "BAD_USER_INPUT");
    }
    await startUpdate(server, org, stack, "UPDATE");
    expectError(await server.gql(IMPORT, { stack: ref(stack), state: {} }, { token }), "CONFLICT");
  });
});

describe("deleteStack", () => {
  it("refuses a stack holding resources unless force, and deletes its tags, updates and state with it", async () => {
    const org = await createOrg(server);
    const stack = await createStack(server, org);
    const token = org.admin.token;
    await server.gql(IMPORT, { stack: ref(stack), state: { deployment: { resources: [{ urn: "a" }] } } }, { token });
    await startUpdate(server, org, stack, "PREVIEW", "SUCCEEDED");
    const refused = await server.gql(DELETE, { stack: ref(stack) }, { token });
    expectError(refused, "BAD_USER_INPUT", /stack still contains resources/);
    const before = (await auditEventsOf(server, org.organization.id)).length;
    expect((await server.gql(DELETE, { stack: ref(stack), force: true }, { token })).body.data).toEqual({ deleteStack: true });
    expect((await newEvents(org, before)).map((e) => [e.event, e.requireStackAdmin])).toEqual([["stack-deleted", true]]);
    for (const table of ["stack_tags", "stack_updates", "stack_checkpoints"]) {
      expect(await count(`select count(*) as n from ${table} where stack_id = $1`, stack.id), table).toBe(0);
    }
    expectError(await server.gql(DELETE, { stack: ref(stack) }, { token }), "NOT_FOUND");
  });

  it("is refused while an update runs, and to a member without ADMIN (audited, requireStackAdmin)", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const stack = await createStack(server, org);
    await startUpdate(server, org, stack, "UPDATE");
    expectError(await server.gql(DELETE, { stack: ref(stack) }, { token: org.admin.token }), "CONFLICT");
    const before = (await auditEventsOf(server, org.organization.id)).length;
    expectError(await server.gql(DELETE, { stack: ref(stack) }, { token: member.token }), "FORBIDDEN");
    expect(await newEvents(org, before)).toMatchObject([
      { event: "auth-failure-stack-permission", authFailure: true, requireStackAdmin: true, userLogin: member.user.login },
    ]);
  });
});

describe("transferStack", () => {
  it("moves the stack with its history, drops team grants, and audits both organizations", async () => {
    const org = await createOrg(server);
    const destination = await createOrg(server, { admin: org.admin });
    const stack = await createStack(server, org, { tags: [{ name: "env", value: "prod" }] });
    await startUpdate(server, org, stack, "UPDATE", "SUCCEEDED");
    const team = await createTeam(server, org);
    await grant(server, org, team.name, stack, "WRITE");
    const [beforeFrom, beforeTo] = [
      (await auditEventsOf(server, org.organization.id)).length,
      (await auditEventsOf(server, destination.organization.id)).length,
    ];
    const res = await server.gql(TRANSFER, { stack: ref(stack), to: destination.name }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.transferStack).toEqual({
      fullyQualifiedName: `${destination.name}/${stack.project}/${stack.stack}`,
      organization: { name: destination.name },
      viewerPermission: "ADMIN",
    });
    expect(await count("select count(*) as n from team_stack_grants where stack_id = $1", stack.id)).toBe(0);
    expect(await count("select count(*) as n from stack_updates where stack_id = $1", stack.id)).toBe(1);
    expect((await newEvents(org, beforeFrom)).map((e) => e.event)).toEqual(["stack-transferred-to-organization"]);
    const received = (await auditEventsOf(server, destination.organization.id)).slice(beforeTo);
    expect(received.map((e) => e.event)).toEqual(["stack-transferred-from-organization"]);
    const old = await server.gql(GET, { org: org.name, project: stack.project, name: stack.stack }, { token: org.admin.token });
    expect(old.body.data!.organization.stack).toBeNull();
  });

  it("is refused while an update runs, on a name clash, and into an organization the caller is not in", async () => {
    const org = await createOrg(server);
    const destination = await createOrg(server, { admin: org.admin });
    const stranger = await createOrg(server);
    const stack = await createStack(server, org, { name: "shared-name" });
    await createStack(server, destination, { name: "shared-name" });
    const token = org.admin.token;
    expectError(await server.gql(TRANSFER, { stack: ref(stack), to: destination.name }, { token }), "CONFLICT");
    expectError(await server.gql(TRANSFER, { stack: ref(stack), to: stranger.name }, { token }), "FORBIDDEN");
    const other = await createStack(server, org);
    await startUpdate(server, org, other, "UPDATE");
    expectError(await server.gql(TRANSFER, { stack: ref(other), to: destination.name }, { token }), "CONFLICT");
    expectError(await server.gql(TRANSFER, { stack: ref(other), to: org.name }, { token }), "BAD_USER_INPUT");
  });

  it("needs stack ADMIN (not an org token) and a role that may create stacks in the destination", async () => {
    const org = await createOrg(server);
    const destination = await createOrg(server);
    const stack = await createStack(server, org);
    const { token: orgToken } = await createOrgToken(server, org);
    expectError(await server.gql(TRANSFER, { stack: ref(stack), to: destination.name }, { token: orgToken }), "FORBIDDEN");
    const mover = await addMember(server, org, "ADMIN");
    await addMember(server, destination, "BILLING_MANAGER", mover);
    const before = (await auditEventsOf(server, destination.organization.id)).length;
    expectError(await server.gql(TRANSFER, { stack: ref(stack), to: destination.name }, { token: mover.token }), "FORBIDDEN");
    expect((await auditEventsOf(server, destination.organization.id)).slice(before).map((e) => e.event)).toEqual([
      "auth-failure-organization-role",
    ]);
  });
});
