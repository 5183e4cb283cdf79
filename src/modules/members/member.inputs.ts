import { Field, InputType } from "type-graphql";
import type { OrganizationRoleValue } from "../../db/schema.js";
import { OrganizationRole } from "../../graphql/enums.js";

@InputType()
export class AddOrganizationMemberInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  login!: string;

  @Field(() => OrganizationRole, { nullable: true, defaultValue: "MEMBER" })
  role?: OrganizationRoleValue | null;
}

@InputType()
export class RemoveOrganizationMemberInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  login!: string;
}

@InputType()
export class UpdateOrganizationMemberRoleInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  login!: string;

  @Field(() => OrganizationRole)
  role!: OrganizationRoleValue;
}
