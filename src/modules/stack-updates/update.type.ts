import { Field, ID, Int, ObjectType } from "type-graphql";
import type { UpdateKindValue, UpdateStatusValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { UpdateKind, UpdateStatus } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

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

/** `events` is resolved by StackUpdateResolver. */
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

  @Field(() => String, { description: "Login of the user, or name of the organization token, that started it." })
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
    description: "An engine event type, e.g. stdoutEvent, diagnosticEvent, resourcePreEvent, resOutputsEvent, summaryEvent.",
  })
  type!: string;

  @Field(() => JSONScalar)
  payload!: unknown;
}

@ObjectType({ simpleResolvers: true })
export class StackUpdateConnection extends Connection(() => StackUpdate) {}

@ObjectType({ simpleResolvers: true })
export class UpdateEventConnection extends Connection(() => UpdateEvent) {}
