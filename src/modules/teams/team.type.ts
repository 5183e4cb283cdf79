import { Field, ID, ObjectType } from "type-graphql";
import { Connection } from "../../graphql/connection.js";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackPermission } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../users/user.type.js";

/** `members`, `stackGrants` and their connections are resolved by TeamResolver. */
@ObjectType({
  simpleResolvers: true,
  description: "A group of an organization's members: what it is granted on a stack, its members get there.",
})
export class Team {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique in the organization, ignoring case." })
  name!: string;

  @Field(() => String, { description: "The name shown to people, at most 100 characters; the name unless another was given." })
  displayName!: string;

  @Field(() => String, { nullable: true, description: "What the team is for; null when none was given." })
  description!: string | null;

  @Field(() => DateTimeScalar, { description: "When the team was created." })
  createdAt!: Date;
}

/** `stack` is resolved by TeamResolver: null when the caller cannot READ the stack. */
@ObjectType({ simpleResolvers: true, description: "A team's permission on one stack of its organization." })
export class TeamStackGrant {
  @Field(() => String, { description: "The stack's project." })
  projectName!: string;

  @Field(() => String, { description: "The stack's name." })
  stackName!: string;

  @Field(() => StackPermission, { description: "READ, WRITE or ADMIN: what the team's members get on the stack." })
  permission!: StackPermissionValue;
}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's teams, by name (ignoring case)." })
export class TeamConnection extends Connection(() => Team) {}

@ObjectType({ simpleResolvers: true, description: "A page of a team's members, by login (ignoring case)." })
export class TeamMemberConnection extends Connection(() => User) {}

@ObjectType({ simpleResolvers: true, description: "A page of a team's stack grants, by project, then stack name." })
export class TeamStackGrantConnection extends Connection(() => TeamStackGrant) {}
