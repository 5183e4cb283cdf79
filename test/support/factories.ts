// Factories: each test builds the users, organizations and tokens it needs, through the
// same services the API uses (so every row is valid), and gets the secrets to call with.
import type { AccessTokenRow, OrganizationRow, UserRow } from "../../src/db/rows.js";
import { customAlphabet } from "nanoid";
import type { Caller } from "../../src/auth/principal.js";
import { systemCaller } from "../../src/auth/principal.js";
import { eq } from "drizzle-orm";
import {
  type OrganizationRoleValue,
  type StackPermissionValue,
  type SubscriptionTierValue,
  type UpdateKindValue,
} from "../../src/db/schema.js";
import type { StackNode } from "../../src/permissions/access.js";
import type { TestServer } from "./test-server.js";

const suffix = customAlphabet("abcdefghijklmnopqrstuvwxyz0123456789", 10);

/** A name unique across the test run, within the 40-character limit. */
export const uniqueName = (prefix: string): string => `${prefix}-${suffix()}`;

export interface UserFixture {
  user: UserRow;
  token: string;
  tokenRow: AccessTokenRow;
  caller: Caller;
}

export interface OrgFixture {
  organization: OrganizationRow;
  name: string;
  admin: UserFixture;
}

export interface OrgTokenFixture {
  row: AccessTokenRow;
  token: string;
}

export function callerOf(user: UserRow, tokenRow: AccessTokenRow): Caller {
  return {
    principal: { kind: "USER", user, token: tokenRow },
    sourceIp: "127.0.0.1",
    userAgent: "gatehouse-test-factory",
    requestId: null,
  };
}

export async function createUser(
  server: TestServer,
  options: { login?: string; name?: string; email?: string; siteAdmin?: boolean } = {},
): Promise<UserFixture> {
  const { user, token } = await server.app.services.users.create({
    login: options.login ?? uniqueName("user"),
    name: options.name ?? "Test User",
    email: options.email ?? null,
    siteAdmin: options.siteAdmin ?? false,
  });
  return { user, token: token.secret, tokenRow: token.row, caller: callerOf(user, token.row) };
}

export async function setTier(server: TestServer, organization: string, tier: SubscriptionTierValue, trialEndsAt: Date | null = null) {
  return await server.app.services.organizations.setSubscription(systemCaller("test"), { organization, tier, trialEndsAt });
}

/** An organization with its admin; on ENTERPRISE_GROWTH unless told otherwise, so org tokens work. */
export async function createOrg(
  server: TestServer,
  options: { tier?: SubscriptionTierValue; admin?: UserFixture } = {},
): Promise<OrgFixture> {
  const admin = options.admin ?? (await createUser(server));
  const name = uniqueName("org");
  await server.app.services.organizations.create(admin.caller, { name });
  const organization = await setTier(server, name, options.tier ?? "ENTERPRISE_GROWTH");
  return { organization, name, admin };
}

export async function addMember(
  server: TestServer,
  org: OrgFixture,
  role: OrganizationRoleValue = "MEMBER",
  user?: UserFixture,
): Promise<UserFixture> {
  const member = user ?? (await createUser(server));
  await server.app.services.members.add(org.admin.caller, org.organization, { organization: org.name, login: member.user.login, role });
  return member;
}

export async function createOrgToken(
  server: TestServer,
  org: OrgFixture,
  options: { name?: string; expiresAt?: Date } = {},
): Promise<OrgTokenFixture> {
  const { row, secret } = await server.app.services.tokens.createForOrganization(org.admin.caller, org.organization, {
    organization: org.name,
    name: options.name ?? uniqueName("ci"),
    description: "test token",
    expiresAt: options.expiresAt ?? null,
  });
  return { row, token: secret };
}

/** The four principals of permissions.json, plus a site admin, around one organization. */
export interface Principals {
  org: OrgFixture;
  admin: UserFixture;
  member: UserFixture;
  billing: UserFixture;
  orgToken: OrgTokenFixture;
  outsider: UserFixture;
  siteAdmin: UserFixture;
}

export async function createPrincipals(server: TestServer): Promise<Principals> {
  const org = await createOrg(server);
  const outsiderOrg = await createOrg(server);
  return {
    org,
    admin: org.admin,
    member: await addMember(server, org, "MEMBER"),
    billing: await addMember(server, org, "BILLING_MANAGER"),
    orgToken: await createOrgToken(server, org),
    outsider: outsiderOrg.admin,
    siteAdmin: await createUser(server, { siteAdmin: true }),
  };
}

export interface StackFixture {
  organization: string;
  project: string;
  stack: string;
  id: string;
}

/** A stack created by `as` (the org admin by default), so other members are not its creator. */
export async function createStack(
  server: TestServer,
  org: OrgFixture,
  options: { as?: Caller; project?: string; name?: string; tags?: { name: string; value: string }[] } = {},
): Promise<StackFixture> {
  const project = options.project ?? "app";
  const name = options.name ?? uniqueName("stack");
  const row = await server.app.services.stacks.create(options.as ?? org.admin.caller, org.organization, {
    organization: org.name,
    project,
    stack: name,
    tags: options.tags ?? [],
  });
  return { organization: org.name, project, stack: name, id: row.id };
}

/** The stack as its organization's admin sees it, for calling services directly. */
export async function stackNode(server: TestServer, org: OrgFixture, stack: StackFixture): Promise<StackNode> {
  const { db, tables } = server.app.store;
  const [row] = await db.select().from(tables.stacksTable).where(eq(tables.stacksTable.id, stack.id));
  if (!row) throw new Error(`no stack ${stack.id}`);
  return { ...row, organization: org.organization, viewerPermission: "ADMIN" };
}

/** An update of `kind` started by the org admin; RUNNING unless `complete` is given. */
export async function startUpdate(
  server: TestServer,
  org: OrgFixture,
  stack: StackFixture,
  kind: UpdateKindValue = "UPDATE",
  complete?: "SUCCEEDED" | "FAILED",
) {
  const node = await stackNode(server, org, stack);
  const update = await server.app.services.updates.start(org.admin.caller, node, kind, "factory");
  if (!complete) return update;
  return await server.app.services.updates.complete(org.admin.caller, update, node, { updateId: update.id, status: complete });
}

export async function createTeam(server: TestServer, org: OrgFixture, options: { name?: string; members?: UserFixture[] } = {}) {
  const name = options.name ?? uniqueName("team");
  const team = await server.app.services.teams.create(org.admin.caller, org.organization, { organization: org.name, name });
  if (options.members?.length) {
    await server.app.services.teams.updateMembership(org.admin.caller, org.organization, {
      organization: org.name,
      team: name,
      addLogins: options.members.map((m) => m.user.login),
    });
  }
  return { ...team, name };
}

export async function grant(server: TestServer, org: OrgFixture, team: string, stack: StackFixture, permission: StackPermissionValue) {
  await server.app.services.teams.grant(org.admin.caller, org.organization, {
    organization: org.name,
    team,
    project: stack.project,
    stack: stack.stack,
    permission,
  });
}
