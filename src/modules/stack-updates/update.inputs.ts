import { Field, ID, InputType, Int } from "type-graphql";
import type { UpdateKindValue, UpdateStatusValue } from "../../db/schema.js";
import { UpdateKind, UpdateStatus } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";
import { StackRef } from "../stacks/stack.inputs.js";

@InputType()
export class StartUpdateInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => UpdateKind, { description: "PREVIEW needs READ on the stack; every other kind needs WRITE." })
  kind!: UpdateKindValue;

  @Field(() => String, { nullable: true, description: "At most 1,000 characters." })
  message?: string | null;
}

@InputType()
export class UpdateEventInput {
  @Field(() => Int, { description: "0, 1, 2 … within the update; re-sending a stored sequence changes nothing." })
  sequence!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: "Defaults to the time the server stores it." })
  timestamp?: Date | null;

  @Field(() => String)
  type!: string;

  @Field(() => JSONScalar)
  payload!: unknown;
}

@InputType()
export class AppendUpdateEventsInput {
  @Field(() => ID)
  updateId!: string;

  @Field(() => [UpdateEventInput], { description: "At most 1,000 events per call." })
  events!: UpdateEventInput[];
}

@InputType()
export class ResourceChangesInput {
  @Field(() => Int, { nullable: true, defaultValue: 0 })
  create?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  update?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  delete?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  same?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0 })
  replace?: number | null;
}

@InputType()
export class CompleteUpdateInput {
  @Field(() => ID)
  updateId!: string;

  @Field(() => UpdateStatus, { description: "SUCCEEDED, FAILED or CANCELLED." })
  status!: UpdateStatusValue;

  @Field(() => ResourceChangesInput, { nullable: true })
  resourceChanges?: ResourceChangesInput | null;

  @Field(() => JSONScalar, { nullable: true, description: "The new checkpoint; ignored for previews." })
  state?: unknown;
}
