// Field-level visibility that the contract answers with null rather than an error, which
// a shield rule cannot express: the map allows the field and its resolver asks here.
import { and, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Principal } from "../auth/principal.js";
import type { Db, Tables } from "../db/store.js";
import { isEntitled, ORG_TOKEN_TIERS } from "./entitlements.js";

/**
 * Of `userIds`, those whose email `principal` may see: the user themself, site admins,
 * and admins of an entitled organization the user belongs to (User.email): an enterprise
 * tier whose trial, if it is one, has not ended (isEntitled, the same test organization
 * tokens pass). Any user can create an organization and add anyone to it (the contract has no
 * invitation to accept), so on a self-service TEAM or INDIVIDUAL organization — or one whose
 * enterprise trial ended — its admin would otherwise read the email of every login they add.
 * Enterprise tiers are set by site admins: those organizations are vetted.
 */
export async function usersWithVisibleEmail(
  db: Db,
  tables: Tables,
  principal: Principal,
  userIds: readonly string[],
  now = Date.now(),
): Promise<Set<string>> {
  if (principal.kind !== "USER") return new Set();
  const self = principal.user;
  if (self.isSiteAdmin) return new Set(userIds);
  const visible = new Set(userIds.filter((id) => id === self.id));
  const others = userIds.filter((id) => id !== self.id);
  if (others.length === 0) return visible;
  const { membershipsTable: m, organizationsTable: o } = tables;
  // an alias is a view of the table object, the same on both dialects
  const adminMembership = alias(m, "admin_membership");
  const rows = await db
    .selectDistinct({ userId: m.userId, tier: o.tier, trialEndsAt: o.trialEndsAt })
    .from(m)
    .innerJoin(
      adminMembership,
      and(eq(adminMembership.organizationId, m.organizationId), eq(adminMembership.userId, self.id), eq(adminMembership.role, "ADMIN")),
    )
    .innerJoin(o, eq(o.id, m.organizationId))
    // the tier narrows the rows in SQL; isEntitled decides
    .where(and(inArray(m.userId, others), inArray(o.tier, [...ORG_TOKEN_TIERS])));
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
