// The effective permission of a caller on a stack (CONTRACT.md §3), described here and only
// here: `permissionSources` says where a caller's permission comes from, and two readings of
// that one description answer the two questions the code asks —
//   - `permissionOn`: the caller's permission on one stack (Stack.viewerPermission, every
//     stack rule of the permission map);
//   - `stacksWithAtLeast`: the SQL condition a list (Organization.stacks) and its count
//     filter by, so a list holds exactly the stacks the per-stack answer admits.
// test/stack-list-permission.test.ts checks that the two agree for random organizations.
import { and, eq, inArray, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { OrganizationRoleValue, StackPermissionValue } from "../db/schema.js";
import type { Db, Tables } from "../db/store.js";

const RANK: Record<StackPermissionValue, number> = { NONE: 0, READ: 1, WRITE: 2, ADMIN: 3 };
const PERMISSIONS = Object.keys(RANK) as StackPermissionValue[];

export const atLeast = (permission: StackPermissionValue, required: StackPermissionValue): boolean => RANK[permission] >= RANK[required];

export const highest = (a: StackPermissionValue, b: StackPermissionValue): StackPermissionValue => (RANK[a] >= RANK[b] ? a : b);

/** The caller's standing in one organization: what its permission on the stacks there depends on. */
export interface Standing {
  readonly organizationId: string;
  /** The calling user; null for a token (or anyone else). */
  readonly userId: string | null;
  /** The user's role there (null: not a member). */
  readonly role: OrganizationRoleValue | null;
  /** The caller is an access token of this organization. */
  readonly isOwnToken: boolean;
  readonly defaultStackPermission: StackPermissionValue;
}

/** One source of permission: which stacks of the organization it reaches, and what it gives there. */
export type PermissionSource =
  | { readonly reaches: "every stack"; readonly gives: StackPermissionValue }
  | { readonly reaches: "stacks the user created"; readonly userId: string; readonly gives: StackPermissionValue }
  /** Gives, on each stack, the highest grant to a team the user is in. */
  | { readonly reaches: "stacks granted to the user's teams"; readonly userId: string };

const EVERY_STACK_WRITE: readonly PermissionSource[] = Object.freeze([{ reaches: "every stack", gives: "WRITE" }]);
const EVERY_STACK_ADMIN: readonly PermissionSource[] = Object.freeze([{ reaches: "every stack", gives: "ADMIN" }]);
const NOTHING: readonly PermissionSource[] = Object.freeze([]);

/**
 * THE rule. The caller's permission on a stack is the highest its sources give there:
 * an organization token: WRITE on every stack of its organization; an org admin: ADMIN on
 * every stack; a member: the organization's defaultStackPermission on every stack, ADMIN on
 * the stacks they created, and every grant to a team they are in; a billing manager: team
 * grants only. Anyone else: nothing.
 */
export function permissionSources(s: Standing): readonly PermissionSource[] {
  if (s.isOwnToken) return EVERY_STACK_WRITE;
  if (s.userId === null || s.role === null) return NOTHING;
  switch (s.role) {
    case "ADMIN":
      return EVERY_STACK_ADMIN;
    case "BILLING_MANAGER":
      return [{ reaches: "stacks granted to the user's teams", userId: s.userId }];
    case "MEMBER":
      return [
        { reaches: "every stack", gives: s.defaultStackPermission },
        { reaches: "stacks the user created", userId: s.userId, gives: "ADMIN" },
        { reaches: "stacks granted to the user's teams", userId: s.userId },
      ];
  }
}

/** What `permissionOn` needs to know of one stack. */
export interface StackFacts {
  readonly createdByUserId: string | null;
  /** The highest grant on it to a team `userId` is in (NONE when none); asked only when a source needs it. */
  readonly teamGrant: (userId: string) => StackPermissionValue;
}

/** The per-stack reading: the highest permission the sources give on this stack. */
export function permissionOn(sources: readonly PermissionSource[], stack: StackFacts): StackPermissionValue {
  let permission: StackPermissionValue = "NONE";
  for (const source of sources) {
    switch (source.reaches) {
      case "every stack":
        permission = highest(permission, source.gives);
        break;
      case "stacks the user created":
        if (stack.createdByUserId === source.userId) permission = highest(permission, source.gives);
        break;
      case "stacks granted to the user's teams":
        permission = highest(permission, stack.teamGrant(source.userId));
        break;
    }
  }
  return permission;
}

type Value = string | SQLWrapper;

/** Every grant on a stack to a team `userId` is in, within one organization (values or placeholders). */
export function teamGrantsOfUser(db: Db, tables: Tables, userId: Value, organizationId: Value, condition?: SQL) {
  const { teamStackGrantsTable, teamMembersTable, teamsTable } = tables;
  return db
    .select({ stackId: teamStackGrantsTable.stackId, permission: teamStackGrantsTable.permission })
    .from(teamStackGrantsTable)
    .innerJoin(teamMembersTable, eq(teamMembersTable.teamId, teamStackGrantsTable.teamId))
    .innerJoin(teamsTable, eq(teamsTable.id, teamStackGrantsTable.teamId))
    .where(and(eq(teamMembersTable.userId, userId), eq(teamsTable.organizationId, organizationId), condition));
}

/**
 * The SQL reading: the condition on `stacks` rows of the standing's organization that holds
 * exactly where `permissionOn` gives at least `required`; undefined when it holds on every
 * stack (no filter needed, the list's hot path).
 */
export function stacksWithAtLeast(db: Db, tables: Tables, standing: Standing, required: StackPermissionValue): SQL | undefined {
  const { stacksTable, teamStackGrantsTable } = tables;
  const enough = PERMISSIONS.filter((p) => atLeast(p, required));
  const conditions: SQL[] = [];
  for (const source of permissionSources(standing)) {
    switch (source.reaches) {
      case "every stack":
        if (atLeast(source.gives, required)) return undefined;
        break;
      case "stacks the user created":
        if (atLeast(source.gives, required)) conditions.push(eq(stacksTable.createdByUserId, source.userId));
        break;
      case "stacks granted to the user's teams": {
        const granted = teamGrantsOfUser(
          db,
          tables,
          source.userId,
          standing.organizationId,
          inArray(teamStackGrantsTable.permission, enough),
        ).as("granted");
        conditions.push(inArray(stacksTable.id, db.select({ stackId: granted.stackId }).from(granted)));
        break;
      }
    }
  }
  return or(...conditions) ?? sql`false`;
}
