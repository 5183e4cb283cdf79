// A "world" for permission tests: one organization and every kind of caller around it.
import { eq } from "drizzle-orm";
import {
  createOrg,
  createOrgToken,
  createPrincipals,
  createStack,
  createUser,
  type OrgFixture,
  type Principals,
  setTier,
  type StackFixture,
  stackNode,
  startUpdate,
  type UserFixture,
} from "./factories.js";
import type { TestServer } from "./test-server.js";

export const CONTRACT_PRINCIPALS = ["admin", "member", "orgToken", "outsider"] as const;
export const EXTRA_PRINCIPALS = [
  "siteAdmin",
  "anonymous",
  "deletedToken",
  "expiredToken",
  "foreignOrgToken",
  "unentitledOrgToken",
] as const;
export type PrincipalName = (typeof CONTRACT_PRINCIPALS)[number] | (typeof EXTRA_PRINCIPALS)[number];

export interface World extends Principals {
  server: TestServer;
  /** A stack created by the admin, with state, a tag and a completed update (version 1). */
  stack: StackFixture;
  /** Another organization the admin is ADMIN of (a transfer destination). */
  destination: OrgFixture;
  /** The secret `as` calls with; null for anonymous. */
  tokenOf(as: PrincipalName): string | null;
  /** The user behind `as`, when it is one. */
  userOf(as: PrincipalName): UserFixture | null;
}

export async function createWorld(server: TestServer): Promise<World> {
  const principals = await createPrincipals(server);
  const deleted = await createUser(server);
  const { db, tables } = server.app.store;
  const { accessTokensTable } = tables;
  await db.update(accessTokensTable).set({ deletedAt: new Date() }).where(eq(accessTokensTable.id, deleted.tokenRow.id));
  const expired = await createUser(server);
  await db
    .update(accessTokensTable)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(accessTokensTable.id, expired.tokenRow.id));
  const foreign = await createOrgToken(server, await createOrg(server));
  const unentitledOrg = await createOrg(server);
  const unentitled = await createOrgToken(server, unentitledOrg);
  await setTier(server, unentitledOrg.name, "TEAM");

  const users: Partial<Record<PrincipalName, UserFixture>> = {
    admin: principals.admin,
    member: principals.member,
    outsider: principals.outsider,
    siteAdmin: principals.siteAdmin,
    deletedToken: deleted,
    expiredToken: expired,
  };
  const tokens: Record<PrincipalName, string | null> = {
    admin: principals.admin.token,
    member: principals.member.token,
    orgToken: principals.orgToken.token,
    outsider: principals.outsider.token,
    siteAdmin: principals.siteAdmin.token,
    anonymous: null,
    deletedToken: deleted.token,
    expiredToken: expired.token,
    foreignOrgToken: foreign.token,
    unentitledOrgToken: unentitled.token,
  };
  const stack = await createStack(server, principals.org, { tags: [{ name: "env", value: "dev" }] });
  const node = await stackNode(server, principals.org, stack);
  await server.app.services.stacks.importState(principals.admin.caller, node, { version: 3, deployment: { resources: [] } });
  await startUpdate(server, principals.org, stack, "UPDATE", "SUCCEEDED");
  const destination = await createOrg(server, { admin: principals.admin });
  return {
    ...principals,
    server,
    stack,
    destination,
    tokenOf: (as) => tokens[as],
    userOf: (as) => users[as] ?? null,
  };
}
