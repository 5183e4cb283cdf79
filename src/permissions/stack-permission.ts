// The effective permission of a caller on a stack (CONTRACT.md §3), computed here and only
// here. The highest of: ADMIN for org admins; the organization's defaultStackPermission for
// members; ADMIN for the stack's creator (a member or admin); every grant to a team the
// user is in. BILLING_MANAGER gets team grants only. An organization token: WRITE on every
// stack of its organization.
import type { Principal } from "../auth/principal.js";
import type { OrganizationRoleValue, StackPermissionValue } from "../db/schema.js";

const RANK: Record<StackPermissionValue, number> = { NONE: 0, READ: 1, WRITE: 2, ADMIN: 3 };

export const atLeast = (permission: StackPermissionValue, required: StackPermissionValue): boolean => RANK[permission] >= RANK[required];

export const highest = (a: StackPermissionValue, b: StackPermissionValue): StackPermissionValue => (RANK[a] >= RANK[b] ? a : b);

export interface StackPermissionInputs {
  readonly principal: Principal;
  /** The user's role in the stack's organization (null: not a member). */
  readonly role: OrganizationRoleValue | null;
  /** The caller is an access token of the stack's organization. */
  readonly isOwnToken: boolean;
  readonly defaultStackPermission: StackPermissionValue;
  readonly stackCreatedByUserId: string | null;
  /** The highest grant to a team the user is in (NONE when none). */
  readonly teamGrant: StackPermissionValue;
}

export function effectiveStackPermission(i: StackPermissionInputs): StackPermissionValue {
  if (i.isOwnToken) return "WRITE";
  if (i.principal.kind !== "USER" || i.role === null) return "NONE";
  if (i.role === "ADMIN") return "ADMIN";
  if (i.role === "BILLING_MANAGER") return i.teamGrant;
  if (i.stackCreatedByUserId === i.principal.user.id) return "ADMIN";
  return highest(i.defaultStackPermission, i.teamGrant);
}

/**
 * The permission the caller has on every stack of the organization before per-stack facts
 * (creator, team grants): what decides whether a stack list needs filtering at all.
 */
export function baseStackPermission(
  role: OrganizationRoleValue | null,
  isOwnToken: boolean,
  defaultStackPermission: StackPermissionValue,
): StackPermissionValue {
  if (isOwnToken) return "WRITE";
  if (role === "ADMIN") return "ADMIN";
  if (role === "MEMBER") return defaultStackPermission;
  return "NONE";
}
