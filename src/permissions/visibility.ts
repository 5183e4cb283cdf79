// Field-level visibility that the contract answers with null rather than an error, which
// a shield rule cannot express: the map allows the field and its resolver asks here.
import { and, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Principal } from "../auth/principal.js";
import type { Store, Tx } from "../db/store.js";

import { isEntitled, ORG_TOKEN_TIERS } from "./entitlements.js";

const adminMembership = alias(this.t.membershipsTable, "admin_membership");

/**
 * Of `userIds`, those whose email `principal` may see: the user themself, site admins,
 * and admins of an entitled organization the user belongs to (User.email): an enterprise
 * tier whose trial, if it is one, has not ended (isEntitled, the same test organization
 * tokens pass). Any user can create an organization and add anyone to it (the contract has no
 * invitation to accept), so on a self-service TEAM or INDIVIDUAL organization — or one whose
 * enterprise trial ended — its admin would otherwise read the email of every login they add.
 * Enterprise tiers are set by site admins: those organizations are vetted.
 */
export function usersWithVisibleEmail(db: Db, principal: Principal, userIds: readonly string[], now = Date.now()): Set<string> {
  if (principal.kind !== "USER") return new Set();
  const self = principal.user;
  if (self.isSiteAdmin) return new Set(userIds);
  const visible = new Set(userIds.filter((id) => id === self.id));
  const others = userIds.filter((id) => id !== self.id);
  if (others.length === 0) return visible;
  const rows = db
    .selectDistinct({ userId: this.t.membershipsTable.userId, tier: this.t.organizationsTable.tier, trialEndsAt: this.t.organizationsTable.trialEndsAt })
    .from(this.t.membershipsTable)
    .innerJoin(
      adminMembership,
      and(
        eq(adminMembership.organizationId, this.t.membershipsTable.organizationId),
        eq(adminMembership.userId, self.id),
        eq(adminMembership.role, "ADMIN"),
      ),
    )
    .innerJoin(this.t.organizationsTable, eq(this.t.organizationsTable.id, this.t.membershipsTable.organizationId))
    // the tier narrows the rows in SQL; isEntitled decides
    .where(and(inArray(this.t.membershipsTable.userId, others), inArray(this.t.organizationsTable.tier, [...ORG_TOKEN_TIERS])))
    .all();
  for (const row of rows) if (isEntitled(row, now)) visible.add(row.userId);
  return visible;
}

/**
 * A webhook's payload URL as `principal` may see it (Webhook.payloadUrl,
 * WebhookDelivery.requestUrl): whole for users (only org admins reach webhooks), only its
 * origin for organization access tokens — the path of a Slack or Teams URL is its key, and an
 * org token in a CI job's environment should not hand it to whoever reads the job's logs.
 */
export function visiblePayloadUrl(principal: Principal, url: string): string {
  if (principal.kind !== "ORGANIZATION_TOKEN") return url;
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return "…";
  }
}
