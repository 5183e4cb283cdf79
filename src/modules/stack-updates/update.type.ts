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

@ObjectType({ simpleResolvers: true })
export class ResourceChanges {
  @Field(() => Int)
  create!: number;

  @Field(() => Int)
  update!: number;

  @Field(() => Int)
  delete!: number;

  @Field(() => Int)
  same!: number;

  @Field(() => Int)
  replace!: number;
}

/** `events`, `stack` and `startedBy` are resolved by StackUpdateResolver. */
@ObjectType({ simpleResolvers: true })
export class StackUpdate {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: "1, 2, 3 … per stack, previews included, in the order they were started." })
  version!: number;

  @Field(() => UpdateKind)
  kind!: UpdateKindValue;

  @Field(() => UpdateStatus)
  status!: UpdateStatusValue;

  @Field(() => String, { nullable: true })
  message!: string | null;

  @Field(() => DateTimeScalar)
  startedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  endedAt!: Date | null;

  @Field(() => String, {
    description: "Login of the user, or name of the organization token, that started it.",
    deprecationReason: "Use startedBy: it tells a user from an organization token of the same name.",
  })
  requestedBy!: string;

  @Field(() => ResourceChanges, { nullable: true })
  resourceChanges!: ResourceChanges | null;
}

@ObjectType({ simpleResolvers: true })
export class UpdateEvent {
  @Field(() => Int, { description: "0, 1, 2 … within the update." })
  sequence!: number;

  @Field(() => DateTimeScalar)
  timestamp!: Date;

  @Field(() => String, {
    description:
      "An engine event type, e.g. stdoutEvent, diagnosticEvent, resourcePreEvent, resOutputsEvent, summaryEvent (see EngineEventType).",
  })
  type!: string;

  @Field(() => EngineEventType, { nullable: true, description: "`type` as an EngineEventType; null for a type the enum does not list." })
  engineEventType!: EngineEventTypeValue | null;

  @Field(() => JSONScalar)
  payload!: unknown;
}

@ObjectType({ simpleResolvers: true })
export class StackUpdateConnection extends Connection(() => StackUpdate) {}

@ObjectType({ simpleResolvers: true })
export class UpdateEventConnection extends Connection(() => UpdateEvent) {}
