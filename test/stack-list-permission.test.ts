// The stack list and the per-stack rule agree (CONTRACT.md §3): for random organizations —
// roles (BILLING_MANAGER too), default permission NONE/READ/WRITE, teams and grants,
// creators, organization tokens, members removed, re-added and demoted — the stacks each
// principal gets from Organization.stacks (every page, and totalCount) are exactly the
// stacks Organization.stack admits, with the same viewerPermission, and both are what a
// model of the contract written here says. Each organization is built directly through the
// services (fast); every answer is read through GraphQL.
import type { OrganizationRow } from "../src/db/rows.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { type Caller, systemCaller } from "../src/auth/principal.js";
import type { OrganizationRoleValue, StackPermissionValue } from "../src/db/schema.js";
import { AppError } from "../src/errors.js";
import { createOrgToken, createUser, setTier, uniqueName, type UserFixture } from "./support/factories.js";
import { type GraphQLResponse, startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
/** Users shared by every organization of the run (so grants in one must not leak into another). */
let pool: UserFixture[];
beforeAll(async () => {
  server = await startTestServer();
  pool = [];
  for (let i = 0; i < 5; i++) pool.push(await createUser(server));
});
afterAll(() => server.close());

const SYSTEM = systemCaller("property test");
const PROJECTS = ["web", "api"] as const;
const ROLES: OrganizationRoleValue[] = ["ADMIN", "MEMBER", "BILLING_MANAGER"];
const DEFAULTS = ["NONE", "READ", "WRITE"] as const;
const GRANTS: StackPermissionValue[] = ["READ", "WRITE", "ADMIN"];
const RANK: Record<StackPermissionValue, number> = { NONE: 0, READ: 1, WRITE: 2, ADMIN: 3 };
const highest = (a: StackPermissionValue, b: StackPermissionValue) => (RANK[a] >= RANK[b] ? a : b);

// ---------------------------------------------------------------- what happens to an organization

const user = fc.integer({ min: 0, max: 4 });
const index = fc.nat({ max: 7 });
type Op =
  | { op: "add"; user: number; role: OrganizationRoleValue }
  | { op: "remove"; user: number }
  | { op: "role"; user: number; role: OrganizationRoleValue }
  | { op: "stack"; by: number | "token"; project: number }
  | { op: "deleteStack"; stack: number }
  | { op: "team" }
  | { op: "deleteTeam"; team: number }
  | { op: "join"; team: number; user: number }
  | { op: "leave"; team: number; user: number }
  | { op: "grant"; team: number; stack: number; permission: StackPermissionValue }
  | { op: "revoke"; team: number; stack: number }
  | { op: "default"; permission: (typeof DEFAULTS)[number] }
  | { op: "token" };

const addOp = fc.record({ op: fc.constant("add" as const), user, role: fc.constantFrom(...ROLES) });
const stackOp = fc.record({
  op: fc.constant("stack" as const),
  by: fc.oneof(user, fc.constant("token" as const)),
  project: fc.nat({ max: 1 }),
});
const teamOp = fc.record({ op: fc.constant("team" as const) });
const joinOp = fc.record({ op: fc.constant("join" as const), team: index, user });
const grantOp = fc.record({ op: fc.constant("grant" as const), team: index, stack: index, permission: fc.constantFrom(...GRANTS) });
const tokenOp = fc.record({ op: fc.constant("token" as const) });

const anyOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: addOp },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), user }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("role" as const), user, role: fc.constantFrom(...ROLES) }) },
  { weight: 2, arbitrary: stackOp },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deleteStack" as const), stack: index }) },
  { weight: 1, arbitrary: teamOp },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deleteTeam" as const), team: index }) },
  { weight: 2, arbitrary: joinOp },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("leave" as const), team: index, user }) },
  { weight: 2, arbitrary: grantOp },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("revoke" as const), team: index, stack: index }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("default" as const), permission: fc.constantFrom(...DEFAULTS) }) },
  { weight: 1, arbitrary: tokenOp },
);

/** A populated organization first (members, tokens, stacks, teams, grants), then any changes. */
const opsArbitrary: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(addOp, { minLength: 1, maxLength: 4 }),
    fc.array(tokenOp, { maxLength: 2 }),
    fc.array(stackOp, { minLength: 1, maxLength: 6 }),
    fc.array(teamOp, { maxLength: 3 }),
    fc.array(joinOp, { maxLength: 6 }),
    fc.array(grantOp, { maxLength: 8 }),
    fc.array(anyOp, { maxLength: 25, size: "medium" }),
  )
  .map((phases) => phases.flat());

const organizationArbitrary = fc.record({
  defaultPermission: fc.constantFrom(...DEFAULTS),
  ops: opsArbitrary,
  /** Page sizes the principals read the list with, and whether they filter by project. */
  pageSize: fc.integer({ min: 1, max: 4 }),
  project: fc.option(fc.nat({ max: 1 }), { nil: null }),
});

// ---------------------------------------------------------------- the model (CONTRACT.md §3)

interface ModelStack {
  readonly project: string;
  readonly name: string;
  creator: number | null;
}

interface Model {
  defaultPermission: (typeof DEFAULTS)[number];
  readonly roles: Map<number, OrganizationRoleValue>;
  readonly stacks: ModelStack[];
  readonly teams: { readonly name: string; readonly members: Set<number>; readonly grants: Map<ModelStack, StackPermissionValue> }[];
  readonly tokens: string[];
}

function modelPermission(model: Model, principal: number | "token", stack: ModelStack): StackPermissionValue {
  if (principal === "token") return "WRITE";
  const role = model.roles.get(principal);
  if (role === undefined) return "NONE";
  if (role === "ADMIN") return "ADMIN";
  let fromTeams: StackPermissionValue = "NONE";
  for (const team of model.teams) if (team.members.has(principal)) fromTeams = highest(fromTeams, team.grants.get(stack) ?? "NONE");
  if (role === "BILLING_MANAGER") return fromTeams;
  if (stack.creator === principal) return "ADMIN";
  return highest(model.defaultPermission, fromTeams);
}

// ---------------------------------------------------------------- building it through the services

interface Built {
  organization: OrganizationRow;
  model: Model;
}

const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

type OrganizationSpec = typeof organizationArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function build(spec: OrganizationSpec): Promise<Built> {
  const { services } = server.app;
  const name = uniqueName("prop");
  await services.organizations.create(SYSTEM, { name }, pool[0]!.user);
  let organization = await setTier(server, name, "ENTERPRISE_GROWTH");
  organization = await services.organizations.updateSettings(SYSTEM, organization, {
    organization: name,
    defaultPermission: spec.defaultPermission,
  });
  const model: Model = { defaultPermission: spec.defaultPermission, roles: new Map([[0, "ADMIN"]]), stacks: [], teams: [], tokens: [] };
  const tokenRows: Caller[] = [];
  const login = (u: number) => pool[u]!.user.login;

  for (const op of spec.ops) {
    // an operation the service refuses (the last admin, a login not in the organization, …) changes nothing
    try {
      switch (op.op) {
        case "add":
          await services.members.add(SYSTEM, organization, { organization: name, login: login(op.user), role: op.role });
          model.roles.set(op.user, op.role);
          break;
        case "remove":
          await services.members.remove(SYSTEM, organization, { organization: name, login: login(op.user) });
          model.roles.delete(op.user);
          for (const team of model.teams) team.members.delete(op.user);
          for (const stack of model.stacks) if (stack.creator === op.user) stack.creator = null;
          break;
        case "role":
          await services.members.updateRole(SYSTEM, organization, { organization: name, login: login(op.user), role: op.role });
          model.roles.set(op.user, op.role);
          break;
        case "stack": {
          const caller = op.by === "token" ? tokenRows[0] : pool[op.by]!.caller;
          const role = op.by === "token" ? null : model.roles.get(op.by);
          // the permission map lets ADMIN and MEMBER users and the organization's tokens create stacks
          if (!caller || (op.by !== "token" && role !== "ADMIN" && role !== "MEMBER")) break;
          const stack = { project: PROJECTS[op.project]!, name: uniqueName("s"), creator: op.by === "token" ? null : op.by };
          await services.stacks.create(caller, organization, { organization: name, project: stack.project, stack: stack.name, tags: [] });
          model.stacks.push(stack);
          break;
        }
        case "deleteStack": {
          const stack = pick(model.stacks, op.stack);
          if (!stack) break;
          const { db, tables } = server.app.store;
          const { stacksTable } = tables;
          const [row] = await db
            .select()
            .from(stacksTable)
            .where(and(eq(stacksTable.organizationId, organization.id), eq(stacksTable.name, stack.name)));
          await services.stacks.delete(SYSTEM, { ...row!, organization, viewerPermission: "ADMIN" }, true);
          model.stacks.splice(model.stacks.indexOf(stack), 1);
          for (const team of model.teams) team.grants.delete(stack);
          break;
        }
        case "team": {
          const team = { name: uniqueName("t"), members: new Set<number>(), grants: new Map<ModelStack, StackPermissionValue>() };
          await services.teams.create(SYSTEM, organization, { organization: name, name: team.name });
          model.teams.push(team);
          break;
        }
        case "deleteTeam": {
          const team = pick(model.teams, op.team);
          if (!team) break;
          await services.teams.delete(SYSTEM, organization, team.name);
          model.teams.splice(model.teams.indexOf(team), 1);
          break;
        }
        case "join":
        case "leave": {
          const team = pick(model.teams, op.team);
          if (!team) break;
          const change = op.op === "join" ? { addLogins: [login(op.user)] } : { removeLogins: [login(op.user)] };
          await services.teams.updateMembership(SYSTEM, organization, { organization: name, team: team.name, ...change });
          if (op.op === "join") team.members.add(op.user);
          else team.members.delete(op.user);
          break;
        }
        case "grant":
        case "revoke": {
          const team = pick(model.teams, op.team);
          const stack = pick(model.stacks, op.stack);
          if (!team || !stack) break;
          const target = { organization: name, team: team.name, project: stack.project, stack: stack.name };
          if (op.op === "grant") {
            await services.teams.grant(SYSTEM, organization, { ...target, permission: op.permission });
            team.grants.set(stack, op.permission);
          } else {
            await services.teams.revoke(SYSTEM, organization, target);
            team.grants.delete(stack);
          }
          break;
        }
        case "default":
          organization = await services.organizations.updateSettings(SYSTEM, organization, {
            organization: name,
            defaultPermission: op.permission,
          });
          model.defaultPermission = op.permission;
          break;
        case "token": {
          if (model.tokens.length >= 2) break;
          const { row, token } = await createOrgToken(server, { organization, name, admin: pool[0]! });
          model.tokens.push(token);
          tokenRows.push({
            principal: { kind: "ORGANIZATION_TOKEN", token: row, organization },
            sourceIp: null,
            userAgent: null,
            requestId: null,
          });
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
  }
  return { organization, model };
}

// ---------------------------------------------------------------- reading it through GraphQL

const LIST = `query ($org: String!, $first: Int, $after: String, $project: String) {
  organization(name: $org) {
    stacks(first: $first, after: $after, project: $project) {
      nodes { project name viewerPermission }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}`;

type Seen = Record<string, StackPermissionValue>;

interface Connection {
  nodes: { project: string; name: string; viewerPermission: StackPermissionValue }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Every page of Organization.stacks, and the totalCount of each page (all the same). */
async function listed(org: string, token: string, first: number, project: string | null): Promise<{ stacks: Seen; counts: number[] }> {
  const stacks: Seen = {};
  const counts: number[] = [];
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res: GraphQLResponse = await server.gql(LIST, { org, first, after, project }, { token });
    expect(res.body.errors).toBeUndefined();
    const connection: Connection | undefined = res.body.data!.organization?.stacks;
    if (!connection) break;
    counts.push(connection.totalCount);
    for (const node of connection.nodes) {
      const key = `${node.project}/${node.name}`;
      expect(stacks[key], `${key} listed twice`).toBeUndefined();
      stacks[key] = node.viewerPermission;
    }
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { stacks, counts };
}

/** Organization.stack for every stack of the organization: the per-stack rule. */
async function admitted(org: string, token: string, stacks: readonly ModelStack[], project: string | null): Promise<Seen> {
  const asked = stacks.filter((s) => project === null || s.project === project);
  if (asked.length === 0) return {};
  const fields = asked.map(
    (s, i) => `s${i}: stack(project: ${JSON.stringify(s.project)}, name: ${JSON.stringify(s.name)}) { viewerPermission }`,
  );
  const res = await server.gql(`query ($org: String!) { organization(name: $org) { ${fields.join(" ")} } }`, { org }, { token });
  expect(res.body.errors).toBeUndefined();
  const seen: Seen = {};
  const organization = res.body.data!.organization;
  asked.forEach((s, i) => {
    const permission = organization?.[`s${i}`]?.viewerPermission;
    if (permission) seen[`${s.project}/${s.name}`] = permission;
  });
  return seen;
}

describe("Organization.stacks lists exactly the stacks the per-stack rule admits", () => {
  it("for random organizations, every principal (all pages, and totalCount)", async () => {
    let principalsChecked = 0;
    await fc.assert(
      fc.asyncProperty(organizationArbitrary, async (spec) => {
        const { organization, model } = await build(spec);
        const project = spec.project === null ? null : PROJECTS[spec.project]!;
        const principals: [number | "token", string][] = [
          ...pool.map((u, i): [number, string] => [i, u.token]),
          ...model.tokens.map((t): ["token", string] => ["token", t]),
        ];
        for (const [principal, token] of principals) {
          const expected: Seen = {};
          for (const stack of model.stacks) {
            const permission = modelPermission(model, principal, stack);
            if (RANK[permission] >= RANK.READ && (project === null || stack.project === project)) {
              expected[`${stack.project}/${stack.name}`] = permission;
            }
          }
          const list = await listed(organization.name, token, spec.pageSize, project);
          const rule = await admitted(organization.name, token, model.stacks, project);
          expect(list.stacks, `Organization.stacks of principal ${principal}`).toEqual(rule);
          for (const count of list.counts) expect(count, `totalCount for principal ${principal}`).toBe(Object.keys(rule).length);
          expect(rule, `the contract's permissions for principal ${principal}`).toEqual(expected);
          principalsChecked++;
        }
      }),
      { numRuns: 200 },
    );
    expect(principalsChecked).toBeGreaterThanOrEqual(200 * pool.length);
  }, 120_000);
});
