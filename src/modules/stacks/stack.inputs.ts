import { Field, InputType } from "type-graphql";
import { JSONScalar } from "../../graphql/scalars.js";

@InputType({ description: "A stack, by organization, project and name." })
export class StackRef {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The project's name (exact letter case)." })
  project!: string;

  @Field(() => String, { description: "The stack's name (exact letter case)." })
  stack!: string;
}

@InputType({ description: "A tag to give a new stack (createStack)." })
export class StackTagInput {
  @Field(() => String, { description: "1–40 of letters, digits, - _ . :" })
  name!: string;

  @Field(() => String, { description: "At most 256 characters." })
  value!: string;
}

@InputType({ description: "A new stack (createStack)." })
export class CreateStackInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "1–100 letters, digits, _ . -" })
  project!: string;

  @Field(() => String, { description: "1–100 letters, digits, _ . -; unique within the project." })
  stack!: string;

  @Field(() => [StackTagInput], {
    nullable: true,
    defaultValue: [],
    description:
      "Initial tags, each name once; at most 50 with pulumi:project. The built-in tags (pulumi:project, pulumi:runtime, pulumi:description, pulumi:template, vcs:owner, vcs:repo, vcs:kind, vcs:root) may be set here only. pulumi:project is always set, to the project name.",
  })
  tags?: StackTagInput[] | null;
}

@InputType({ description: "A stack to delete (deleteStack)." })
export class DeleteStackInput {
  @Field(() => StackRef, { description: "The stack to delete." })
  stack!: StackRef;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Delete even when the state still holds resources.",
  })
  force?: boolean | null;
}

@InputType({ description: "A stack and the organization to move it to (transferStack)." })
export class TransferStackInput {
  @Field(() => StackRef, { description: "The stack to move." })
  stack!: StackRef;

  @Field(() => String, {
    description: "The name of the organization to move it to (any letter case), where the caller is an ADMIN or MEMBER.",
  })
  destinationOrganization!: string;
}

@InputType({ description: "A checkpoint to import into a stack (importStackState)." })
export class ImportStackStateInput {
  @Field(() => StackRef, { description: "The stack whose checkpoint is replaced." })
  stack!: StackRef;

  @Field(() => JSONScalar, {
    description: "A deployment export: { version, deployment: { manifest, resources } } or the deployment itself.",
  })
  state!: unknown;
}
