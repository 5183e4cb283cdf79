import { Field, InputType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { AuditEventType } from "./audit.type.js";

@InputType({ description: "Conditions on audit events: an event is listed when it matches every one given." })
export class AuditLogFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: "Events at or after this time." })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Events before this time." })
  until?: Date | null;

  @Field(() => String, { nullable: true, description: "An event id, e.g. stack-deleted (the kebab-case form of an AuditEventType value)." })
  event?: string | null;

  @Field(() => AuditEventType, { nullable: true, description: "Events of this kind (the same filter as event, typed)." })
  eventType?: string | null;

  @Field(() => String, { nullable: true, description: "Events of the user with this login (any letter case)." })
  userLogin?: string | null;

  @Field(() => String, { nullable: true, description: "Events of the organization token with this name." })
  tokenName?: string | null;

  @Field(() => Boolean, { nullable: true, description: "Only refusals (true) or only the rest (false)." })
  authFailure?: boolean | null;
}
