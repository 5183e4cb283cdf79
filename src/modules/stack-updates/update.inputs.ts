import { Field, ID, InputType, Int } from "type-graphql";
import type { UpdateKindValue, UpdateStatusValue } from "../../db/schema.js";
import { UpdateKind, UpdateOutcome, type UpdateOutcomeValue, UpdateStatus } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";
import { StackRef } from "../stacks/stack.inputs.js";

@InputType({ description: "An update to start on a stack (startUpdate)." })
export class StartUpdateInput {
  @Field(() => StackRef, { description: "The stack to run on." })
  stack!: StackRef;

  @Field(() => UpdateKind, { description: "PREVIEW needs READ on the stack; every other kind needs WRITE." })
  kind!: UpdateKindValue;

  @Field(() => String, { nullable: true, description: "What the update is for (e.g. a commit message), at most 1,000 characters." })
  message?: string | null;
}

@InputType({ description: "One engine event to store (appendUpdateEvents)." })
export class UpdateEventInput {
  @Field(() => Int, {
    description:
      "An integer ≥ 0 (0, 1, 2 …), unique within the update and given once per batch. Re-sending a stored event (same type and payload) changes nothing; the same sequence with another type or payload is CONFLICT.",
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

@InputType({ description: "Engine events to store for an update (appendUpdateEvents)." })
export class AppendUpdateEventsInput {
  @Field(() => ID, {
    description:
      "The id startUpdate returned. New events need the update to be RUNNING (CONFLICT otherwise); resending stored ones is fine.",
  })
  updateId!: string;

  @Field(() => [UpdateEventInput], { description: "At most 1,000 events per call." })
  events!: UpdateEventInput[];
}

@InputType({ description: "How many resources an update changed; each count ≥ 0." })
export class ResourceChangesInput {
  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Resources created." })
  create?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Resources updated in place." })
  update?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Resources deleted." })
  delete?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Resources left as they were." })
  same?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 0, description: "Resources replaced." })
  replace?: number | null;
}

@InputType({ description: "Ends a running update (completeUpdate, deprecated: completeStackUpdate takes CompleteStackUpdateInput)." })
export class CompleteUpdateInput {
  @Field(() => ID, { description: "The id startUpdate returned." })
  updateId!: string;

  @Field(() => UpdateStatus, { description: "SUCCEEDED, FAILED or CANCELLED (RUNNING is refused)." })
  status!: UpdateStatusValue;

  @Field(() => ResourceChangesInput, { nullable: true, description: "What the update changed." })
  resourceChanges?: ResourceChangesInput | null;

  @Field(() => JSONScalar, { nullable: true, description: "The new checkpoint of a SUCCEEDED update; ignored for previews." })
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
