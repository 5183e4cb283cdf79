import { Field, ID, InputType, Int } from "type-graphql";
import type { UpdateKindValue, UpdateStatusValue } from "../../db/schema.js";
import { UpdateKind, UpdateOutcome, type UpdateOutcomeValue, UpdateStatus } from "../../graphql/enums.js";
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
  @Field(() => Int, {
    description:
      "0, 1, 2 … within the update, each once per batch. Re-sending a stored event (same type and payload) changes nothing; the same sequence with another type or payload is CONFLICT.",
  })
  sequence!: number;

  @Field(() => DateTimeScalar, { nullable: true, description: "Defaults to the time the server stores it." })
  timestamp?: Date | null;

  @Field(() => String, {
    description:
      "An engine event type: one of EngineEventType's values, or a newer one (a letter, then up to 99 letters, digits, _ . : -).",
  })
  type!: string;

  @Field(() => JSONScalar, { description: "The event's JSON, at most 64 KiB." })
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

  @Field(() => UpdateStatus, { description: "SUCCEEDED, FAILED or CANCELLED (RUNNING is refused)." })
  status!: UpdateStatusValue;

  @Field(() => ResourceChangesInput, { nullable: true })
  resourceChanges?: ResourceChangesInput | null;

  @Field(() => JSONScalar, { nullable: true, description: "The new checkpoint; ignored for previews." })
  state?: unknown;
}

@InputType({ description: "Ends a running update (completeStackUpdate)." })
export class CompleteStackUpdateInput {
  @Field(() => ID, { description: "The id startUpdate returned." })
  updateId!: string;

  @Field(() => UpdateOutcome, { description: "How it ended." })
  outcome!: UpdateOutcomeValue;

  @Field(() => ResourceChangesInput, { nullable: true, description: "What the update changed." })
  resourceChanges?: ResourceChangesInput | null;

  @Field(() => JSONScalar, { nullable: true, description: "The new checkpoint of a SUCCEEDED update; ignored for previews." })
  state?: unknown;
}

@InputType({ description: "Cancels a running update (cancelStackUpdate)." })
export class CancelStackUpdateInput {
  @Field(() => ID, { description: "The id startUpdate returned." })
  updateId!: string;
}
