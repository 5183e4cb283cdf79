import { Field, ID, ObjectType } from "type-graphql";
import type { StackPermissionValue } from "../../db/schema.js";
import { StackPermission } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** `members` and `stackGrants` are resolved by TeamResolver. */
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
