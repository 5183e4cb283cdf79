import { Field, ID, Int, ObjectType } from "type-graphql";
import type { StackPermissionValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { StackPermission } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

/**
 * A stack, as the caller sees it. `organization`, `fullyQualifiedName`, `state` are resolved
 * by StackResolver; `tags` by StackTagResolver; `updates`, `previews`, `update` by
 * StackUpdateResolver.
 */
@ObjectType({ simpleResolvers: true })
export class Stack {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  project!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "Time of the last completed update; null when none." })
  lastUpdatedAt!: Date | null;

  @Field(() => Int)
  resourceCount!: number;

  @Field(() => StackPermission, {
    description: "The caller's effective permission on this stack (WRITE for an organization token).",
  })
  viewerPermission!: StackPermissionValue;
}

@ObjectType({ simpleResolvers: true })
export class StackConnection extends Connection(() => Stack) {}
