import { Field, InputType } from "type-graphql";
import type { StackPermissionValue, SubscriptionTierValue } from "../../db/schema.js";
import { DefaultStackPermission, type DefaultStackPermissionValue, StackPermission, SubscriptionTier } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@InputType({ description: "A new organization (createOrganization)." })
export class CreateOrganizationInput {
  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  name!: string;

  @Field(() => String, { nullable: true, description: "At most 100 characters, not blank; defaults to the name." })
  displayName?: string | null;
}

@InputType({ description: "An organization's new subscription (setOrganizationSubscription)." })
export class SetSubscriptionInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => SubscriptionTier, { description: "The new tier." })
  tier!: SubscriptionTierValue;

  @Field(() => DateTimeScalar, { nullable: true, description: "Set for a trial (in the future); null for a paid subscription." })
  trialEndsAt?: Date | null;
}

@InputType({ description: "Settings to change (updateOrganizationSettings): give at least one; the others stay as they are." })
export class UpdateOrganizationSettingsInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { nullable: true, description: "At most 100 characters; not empty. Omitted or null: unchanged." })
  displayName?: string | null;

  @Field(() => StackPermission, {
    nullable: true,
    description: "NONE, READ or WRITE (ADMIN is refused).",
    deprecationReason: "Use defaultPermission: its enum admits only the values accepted here.",
  })
  defaultStackPermission?: StackPermissionValue | null;

  @Field(() => DefaultStackPermission, {
    nullable: true,
    description:
      "The permission every member gets on every stack before team grants (Organization.defaultStackPermission). Omitted or null: unchanged; not together with defaultStackPermission.",
  })
  defaultPermission?: DefaultStackPermissionValue | null;
}
