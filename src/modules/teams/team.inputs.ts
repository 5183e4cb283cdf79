import { Field, InputType } from "type-graphql";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackGrantPermission, type StackGrantPermissionValue, StackPermission } from "../../graphql/enums.js";
import { StackRef } from "../stacks/stack.inputs.js";

@InputType({ description: "A new team (createTeam)." })
export class CreateTeamInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  name!: string;

  @Field(() => String, { nullable: true, description: "At most 100 characters, not blank; defaults to the name." })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: "At most 1,000 characters." })
  description?: string | null;
}

@InputType({ description: "A team to delete (deleteTeam)." })
export class DeleteTeamInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The team's name (any letter case)." })
  name!: string;
}

@InputType({ description: "Members to add to and remove from a team (updateTeamMembership): at least one login in all." })
export class UpdateTeamMembershipInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The team's name (any letter case)." })
  team!: string;

  @Field(() => [String], {
    nullable: true,
    defaultValue: [],
    description:
      "Logins (any letter case) of the organization's members to add, at most 100; a login that is not a member is BAD_USER_INPUT.",
  })
  addLogins?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    defaultValue: [],
    description: "Logins to remove, at most 100; one not in the team changes nothing. A login both added and removed is BAD_USER_INPUT.",
  })
  removeLogins?: string[] | null;
}

@InputType({ description: "A team's grant on a stack (grantTeamStackAccess and revokeTeamStackAccess, both deprecated)." })
export class TeamStackAccessInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The team's name (any letter case)." })
  team!: string;

  @Field(() => String, { description: "The stack's project (exact letter case)." })
  project!: string;

  @Field(() => String, { description: "The stack's name (exact letter case)." })
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
