import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import type { UpdateKindValue, UpdateStatusValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { UpdateKind, UpdateStatus } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";
import { ENGINE_EVENT_TYPES, EngineEventType, type EngineEventTypeValue } from "./engine-events.js";

registerEnumType(EngineEventType, {
  name: "EngineEventType",
  description:
    "The Pulumi engine's event types, named as the engine names them (UpdateEvent.type). appendUpdateEvents also accepts newer types not listed here.",
  valuesConfig: Object.fromEntries(Object.entries(ENGINE_EVENT_TYPES).map(([t, description]) => [t, { description }])),
});

@ObjectType({ simpleResolvers: true, description: "How many resources an update changed, as its client reported when completing it." })
export class ResourceChanges {
  @Field(() => Int, { description: "Resources created." })
  create!: number;

  @Field(() => Int, { description: "Resources updated in place." })
  update!: number;

  @Field(() => Int, { description: "Resources deleted." })
  delete!: number;

  @Field(() => Int, { description: "Resources left as they were." })
  same!: number;

  @Field(() => Int, { description: "Resources replaced (deleted and created anew)." })
  replace!: number;
}

/** `events`, `stack` and `startedBy` are resolved by StackUpdateResolver. */
@ObjectType({
  simpleResolvers: true,
  description:
    "One run of the engine on a stack: an update, preview, refresh, destroy or import. Only callers who can READ its stack reach it.",
})
export class StackUpdate {
  @Field(() => ID, {
    description: "Opaque id: what appendUpdateEvents, completeStackUpdate, cancelStackUpdate and Query.stackUpdate take.",
  })
  id!: string;

  @Field(() => Int, { description: "1, 2, 3 … per stack, previews included, in the order they were started." })
  version!: number;

  @Field(() => UpdateKind, { description: "What kind of run it is." })
  kind!: UpdateKindValue;

  @Field(() => UpdateStatus, { description: "RUNNING until it is completed or cancelled, then how it ended." })
  status!: UpdateStatusValue;

  @Field(() => String, { nullable: true, description: "The message given when it started (e.g. a commit message); null when none." })
  message!: string | null;

  @Field(() => DateTimeScalar, { description: "When startUpdate created it." })
  startedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "When it ended; null while it runs." })
  endedAt!: Date | null;

  @Field(() => String, {
    description: "Login of the user, or name of the organization token, that started it.",
    deprecationReason: "Use startedBy: it tells a user from an organization token of the same name.",
  })
  requestedBy!: string;

  @Field(() => ResourceChanges, {
    nullable: true,
    description: "What it changed, as given when it ended; null while it runs or when none was given.",
  })
  resourceChanges!: ResourceChanges | null;
}

@ObjectType({ simpleResolvers: true, description: "An engine event of an update, as its client sent it." })
export class UpdateEvent {
  @Field(() => Int, {
    description: "The sequence number its client gave it (0, 1, 2 …): unique within the update; events are listed by it.",
  })
  sequence!: number;

  @Field(() => DateTimeScalar, { description: "When it happened, as sent; when none was sent, when the server stored it." })
  timestamp!: Date;

  @Field(() => String, {
    description:
      "An engine event type, e.g. stdoutEvent, diagnosticEvent, resourcePreEvent, resOutputsEvent, summaryEvent (see EngineEventType).",
  })
  type!: string;

  @Field(() => EngineEventType, { nullable: true, description: "`type` as an EngineEventType; null for a type the enum does not list." })
  engineEventType!: EngineEventTypeValue | null;

  @Field(() => JSONScalar, { description: "The event's JSON, as sent (at most 64 KiB)." })
  payload!: unknown;
}

@ObjectType({ simpleResolvers: true, description: "A page of a stack's updates or previews, newest first (by version)." })
export class StackUpdateConnection extends Connection(() => StackUpdate) {}

@ObjectType({ simpleResolvers: true, description: "A page of an update's engine events, in sequence order." })
export class UpdateEventConnection extends Connection(() => UpdateEvent) {}
