import { Field, InputType } from "type-graphql";
import type { OrganizationRoleValue } from "../../db/schema.js";
import { OrganizationRole } from "../../graphql/enums.js";

@InputType({ description: "A user to add to an organization (addOrganizationMember)." })
export class AddOrganizationMemberInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, {
    description: "The user's login (any letter case); NOT_FOUND when no user has it, CONFLICT when they are already a member.",
  })
  login!: string;

  @Field(() => OrganizationRole, { nullable: true, defaultValue: "MEMBER", description: "The role to give them." })
  role?: OrganizationRoleValue | null;
}

@InputType({ description: "A member to remove from an organization (removeOrganizationMember)." })
export class RemoveOrganizationMemberInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The member's login (any letter case); NOT_FOUND when they are not a member." })
  login!: string;
}

@InputType({ description: "A member's new role (updateOrganizationMemberRole)." })
export class UpdateOrganizationMemberRoleInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The member's login (any letter case); NOT_FOUND when they are not a member." })
  login!: string;

  @Field(() => OrganizationRole, { description: "The new role; their current role changes nothing." })
  role!: OrganizationRoleValue;
}
