import { Field, InputType } from "type-graphql";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackPermission } from "../../graphql/enums.js";

@InputType()
export class CreateTeamInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Defaults to the name; at most 100 characters." })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: "At most 1,000 characters." })
  description?: string | null;
}

@InputType()
export class DeleteTeamInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  name!: string;
}

@InputType()
export class UpdateTeamMembershipInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  team!: string;

  @Field(() => [String], { nullable: true, defaultValue: [], description: "Members of the organization to add (at most 100)." })
  addLogins?: string[] | null;

  @Field(() => [String], { nullable: true, defaultValue: [], description: "Logins to remove (at most 100)." })
  removeLogins?: string[] | null;
}

@InputType()
export class TeamStackAccessInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  team!: string;

  @Field(() => String)
  project!: string;

  @Field(() => String)
  stack!: string;

  @Field(() => StackPermission, {
    nullable: true,
    defaultValue: "READ",
    description: "READ, WRITE or ADMIN (grant); ignored by revokeTeamStackAccess.",
  })
  permission?: StackPermissionValue | null;
}
