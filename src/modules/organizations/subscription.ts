import type { OrganizationRow } from "../../auth/principal.js";
import type { SubscriptionTierValue } from "../../db/schema.js";

/** Tiers that include organization access tokens (CONTRACT.md §2). */
export const ORG_TOKEN_TIERS: readonly SubscriptionTierValue[] = ["ENTERPRISE_GROWTH", "BUSINESS_CRITICAL"];

/** True while the tier (paid, or a trial not yet ended) includes organization access tokens. */
export function organizationTokensEnabled(
  organization: Pick<OrganizationRow, "tier" | "trialEndsAt">,
  now: number = Date.now(),
): boolean {
  if (!ORG_TOKEN_TIERS.includes(organization.tier)) return false;
  return organization.trialEndsAt === null || organization.trialEndsAt.getTime() > now;
}
