// Field-level visibility that the contract answers with null rather than an error, which
// a shield rule cannot express: the map allows the field and its resolver asks here.
import { and, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Principal } from "../auth/principal.js";
import type { Db } from "../db/client.js";
import { membershipsTable, organizationsTable } from "../db/schema.js";
import { ORG_TOKEN_TIERS } from "../modules/organizations/subscription.js";

const adminMembership = alias(membershipsTable, "admin_membership");

/**
 * Of `userIds`, those whose email `principal` may see: the user themself, site admins,
 * and admins of an organization the user belongs to (User.email) — an organization on an
 * enterprise tier. Any user can create an organization and add anyone to it (the contract
 * has no invitation to accept), so on a self-service TEAM or INDIVIDUAL organization its
 * admin would otherwise read the email of every login they add. Enterprise tiers are set by
 * site admins: those organizations are vetted.
 */
export function usersWithVisibleEmail(db: Db, principal: Principal, userIds: readonly string[]): Set<string> {
  if (principal.kind !== "USER") return new Set();
  const self = principal.user;
  if (self.isSiteAdmin) return new Set(userIds);
  const visible = new Set(userIds.filter((id) => id === self.id));
  const others = userIds.filter((id) => id !== self.id);
  if (others.length === 0) return visible;
  const rows = db
    .selectDistinct({ userId: membershipsTable.userId })
    .from(membershipsTable)
    .innerJoin(
      adminMembership,
      and(
        eq(adminMembership.organizationId, membershipsTable.organizationId),
        eq(adminMembership.userId, self.id),
        eq(adminMembership.role, "ADMIN"),
      ),
    )
    .innerJoin(organizationsTable, eq(organizationsTable.id, membershipsTable.organizationId))
    .where(and(inArray(membershipsTable.userId, others), inArray(organizationsTable.tier, [...ORG_TOKEN_TIERS])))
    .all();
  for (const row of rows) visible.add(row.userId);
  return visible;
}
