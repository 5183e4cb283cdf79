import { Field, ID, ObjectType } from "type-graphql";
import { Connection } from "../../graphql/connection.js";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackPermission } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../users/user.type.js";

/** `members`, `stackGrants` and their connections are resolved by TeamResolver. */
@ObjectType({ simpleResolvers: true })
export class Team {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

/** `stack` is resolved by TeamResolver: null when the caller cannot READ the stack. */
@ObjectType({ simpleResolvers: true })
export class TeamStackGrant {
  @Field(() => String)
  projectName!: string;

  @Field(() => String)
  stackName!: string;

  @Field(() => StackPermission)
  permission!: StackPermissionValue;
}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's teams, by name (ignoring case)." })
export class TeamConnection extends Connection(() => Team) {}

@ObjectType({ simpleResolvers: true, description: "A page of a team's members, by login (ignoring case)." })
export class TeamMemberConnection extends Connection(() => User) {}

@ObjectType({ simpleResolvers: true, description: "A page of a team's stack grants, by project, then stack name." })
export class TeamStackGrantConnection extends Connection(() => TeamStackGrant) {}
