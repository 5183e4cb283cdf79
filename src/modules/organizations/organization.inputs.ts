import { Field, InputType } from "type-graphql";
import type { StackPermissionValue, SubscriptionTierValue } from "../../db/schema.js";
import { StackPermission, SubscriptionTier } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@InputType()
export class CreateOrganizationInput {
  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Defaults to the name." })
  displayName?: string | null;
}

@InputType()
export class SetSubscriptionInput {
  @Field(() => String)
  organization!: string;

  @Field(() => SubscriptionTier)
  tier!: SubscriptionTierValue;

  @Field(() => DateTimeScalar, { nullable: true, description: "Set for a trial (in the future); null for a paid subscription." })
  trialEndsAt?: Date | null;
}

@InputType()
export class UpdateOrganizationSettingsInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => StackPermission, { nullable: true, description: "NONE, READ or WRITE." })
  defaultStackPermission?: StackPermissionValue | null;
}
