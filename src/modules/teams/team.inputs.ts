import { Field, InputType } from "type-graphql";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackGrantPermission, type StackGrantPermissionValue, StackPermission } from "../../graphql/enums.js";
import { StackRef } from "../stacks/stack.inputs.js";

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

@InputType({ description: "A team's grant on a stack (setTeamStackGrant)." })
export class SetTeamStackGrantInput {
  @Field(() => StackRef, { description: "The stack; the team belongs to the same organization." })
  stack!: StackRef;

  @Field(() => String, { description: "A team of the stack's organization." })
  team!: string;

  @Field(() => StackGrantPermission, { description: "READ, WRITE or ADMIN; replaces the team's grant on the stack, if any." })
  permission!: StackGrantPermissionValue;
}

@InputType({ description: "A team's grant on a stack (removeTeamStackGrant)." })
export class RemoveTeamStackGrantInput {
  @Field(() => StackRef, { description: "The stack; the team belongs to the same organization." })
  stack!: StackRef;

  @Field(() => String, { description: "A team of the stack's organization." })
  team!: string;
}
