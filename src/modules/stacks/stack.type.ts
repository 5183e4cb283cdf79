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
@ObjectType({
  simpleResolvers: true,
  description:
    "A stack: an instance of a Pulumi project (e.g. its production), with its tags, state and updates. Only callers who can READ it reach it.",
})
export class Stack {
  @Field(() => ID, { description: "Opaque id; it stays the same when the stack is transferred." })
  id!: string;

  @Field(() => String, { description: "The project: 1–100 letters, digits, _ . -." })
  project!: string;

  @Field(() => String, { description: "The stack's name: 1–100 letters, digits, _ . -; unique within its project and organization." })
  name!: string;

  @Field(() => DateTimeScalar, { description: "When the stack was created." })
  createdAt!: Date;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the last non-preview update ended (completed or cancelled); null when none has.",
  })
  lastUpdatedAt!: Date | null;

  @Field(() => Int, { description: "How many resources the current checkpoint holds; 0 when there is none." })
  resourceCount!: number;

  @Field(() => StackPermission, {
    description: "The caller's effective permission on this stack (WRITE for an organization token).",
  })
  viewerPermission!: StackPermissionValue;
}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's stacks, oldest first." })
export class StackConnection extends Connection(() => Stack) {}
