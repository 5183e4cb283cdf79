import { Field, InputType } from "type-graphql";
import { JSONScalar } from "../../graphql/scalars.js";

@InputType({ description: "A stack, by organization, project and name." })
export class StackRef {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  project!: string;

  @Field(() => String)
  stack!: string;
}

@InputType()
export class StackTagInput {
  @Field(() => String, { description: "1–40 of letters, digits, - _ . :" })
  name!: string;

  @Field(() => String, { description: "At most 256 characters." })
  value!: string;
}

@InputType()
export class CreateStackInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String, { description: "1–100 letters, digits, _ . -" })
  project!: string;

  @Field(() => String, { description: "1–100 letters, digits, _ . -; unique within the project." })
  stack!: string;

  @Field(() => [StackTagInput], {
    nullable: true,
    defaultValue: [],
    description: "Initial tags; built-in tags (pulumi:*, vcs:*) may be set here. pulumi:project is always set.",
  })
  tags?: StackTagInput[] | null;
}

@InputType()
export class DeleteStackInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Delete even when the state still holds resources.",
  })
  force?: boolean | null;
}

@InputType()
export class TransferStackInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => String)
  destinationOrganization!: string;
}

@InputType()
export class ImportStackStateInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => JSONScalar, {
    description: "A deployment export: { version, deployment: { manifest, resources } } or the deployment itself.",
  })
  state!: unknown;
}
