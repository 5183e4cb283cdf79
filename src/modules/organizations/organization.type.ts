import { Field, ID, ObjectType } from "type-graphql";
import type { OrganizationRoleValue, StackPermissionValue, SubscriptionTierValue } from "../../db/schema.js";
import { OrganizationRole, StackPermission, SubscriptionTier } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/**
 * An organization. Its other fields (subscription, viewerRole, members, accessTokens,
 * stacks, teams, webhooks, audit log) are resolved by the modules that own them.
 */
@ObjectType({
  simpleResolvers: true,
  description: "An organization: its members, teams, stacks, tokens, webhooks and audit log. Only those in it reach it.",
})
export class Organization {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case. Inputs name the organization by it." })
  name!: string;

  @Field(() => String, { description: "The name shown to people, at most 100 characters; the name unless another was given." })
  displayName!: string;

  @Field(() => DateTimeScalar, { description: "When the organization was created." })
  createdAt!: Date;

  @Field(() => StackPermission, {
    description: "Permission every member has on every stack of the organization, before team grants.",
  })
  defaultStackPermission!: StackPermissionValue;

  tier!: SubscriptionTierValue;
  trialEndsAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "An organization's subscription: its tier, and when a trial ends." })
export class OrganizationSubscription {
  @Field(() => SubscriptionTier, { description: "The tier; TEAM until a site admin sets another." })
  tier!: SubscriptionTierValue;

  @Field(() => Boolean, { description: "True when the subscription is a trial (trialEndsAt is set), also after the trial has ended." })
  isTrial!: boolean;

  @Field(() => DateTimeScalar, { nullable: true, description: "When a trial ends; null for a paid subscription." })
  trialEndsAt!: Date | null;

  @Field(() => Boolean, {
    description: "True while the tier (paid, or a trial not yet ended) includes organization access tokens.",
  })
  organizationAccessTokensEnabled!: boolean;
}

@ObjectType({ simpleResolvers: true, description: "An organization the caller can act in, with the caller's role there." })
export class OrganizationMembership {
  @Field(() => Organization, { description: "The organization." })
  organization!: Organization;

  @Field(() => OrganizationRole, { nullable: true, description: "Null for an organization access token." })
  role!: OrganizationRoleValue | null;
}
