// What an organization's subscription entitles it to.
import type { OrganizationRow } from "../db/rows.js";
import type { SubscriptionTierValue } from "../db/schema.js";

/** Tiers that include organization access tokens (CONTRACT.md §2). */
export const ORG_TOKEN_TIERS: readonly SubscriptionTierValue[] = ["ENTERPRISE_GROWTH", "BUSINESS_CRITICAL"];

/**
 * THE notion of an entitled organization: on an enterprise tier, paid or in a trial not yet
 * ended. It decides whether its organization access tokens work (authentication — the
 * composition root hands this test to the Authenticator —, creating them, the permission
 * map, Organization.subscription, the admin CLI and the demo) and whether its admins see
 * members' emails (src/permissions/visibility.ts). Nothing else looks at the tier for that.
 */
export function isEntitled(organization: Pick<OrganizationRow, "tier" | "trialEndsAt">, now: number = Date.now()): boolean {
  if (!ORG_TOKEN_TIERS.includes(organization.tier)) return false;
  return organization.trialEndsAt === null || organization.trialEndsAt.getTime() > now;
}
