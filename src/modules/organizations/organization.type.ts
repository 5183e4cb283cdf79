import { Field, ID, ObjectType } from "type-graphql";
import type { OrganizationRoleValue, StackPermissionValue, SubscriptionTierValue } from "../../db/schema.js";
import { OrganizationRole, StackPermission, SubscriptionTier } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/**
 * An organization. Its other fields (subscription, viewerRole, members, accessTokens,
 * stacks, teams, webhooks, audit log) are resolved by the modules that own them.
 */
@ObjectType({ simpleResolvers: true })
export class Organization {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => StackPermission, {
    description: "Permission every member has on every stack of the organization, before team grants.",
  })
  defaultStackPermission!: StackPermissionValue;

  tier!: SubscriptionTierValue;
  trialEndsAt!: Date | null;
}

@ObjectType({ simpleResolvers: true })
export class OrganizationSubscription {
  @Field(() => SubscriptionTier)
  tier!: SubscriptionTierValue;

  @Field(() => Boolean)
  isTrial!: boolean;

  @Field(() => DateTimeScalar, { nullable: true, description: "When a trial ends; null for a paid subscription." })
  trialEndsAt!: Date | null;

  @Field(() => Boolean, {
    description: "True while the tier (paid, or a trial not yet ended) includes organization access tokens.",
  })
  organizationAccessTokensEnabled!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class OrganizationMembership {
  @Field(() => Organization)
  organization!: Organization;

  @Field(() => OrganizationRole, { nullable: true, description: "Null for an organization access token." })
  role!: OrganizationRoleValue | null;
}
