import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { Connection } from "../../graphql/connection.js";
import { AuditLogExportFormat } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { AUDIT_EVENT_IDS, AUDIT_EVENTS, auditEventTypeOf } from "./audit-events.js";

/** The audit event ids as enum values: organization-token-created → ORGANIZATION_TOKEN_CREATED. */
export const AuditEventType = Object.freeze(Object.fromEntries(AUDIT_EVENT_IDS.map((id) => [auditEventTypeOf(id), auditEventTypeOf(id)])));
registerEnumType(AuditEventType, {
  name: "AuditEventType",
  description:
    "Every kind of audit event, as AuditLogEvent.eventType; AuditLogEvent.event holds the same as its kebab-case id (ORGANIZATION_TOKEN_CREATED is organization-token-created). More may be added.",
  valuesConfig: Object.fromEntries(
    AUDIT_EVENT_IDS.map((id) => [auditEventTypeOf(id), { description: `${id}: ${AUDIT_EVENTS[id].description}` }]),
  ),
});

@ObjectType({ simpleResolvers: true, description: "The user as recorded at the time of the event." })
export class AuditLogUser {
  @Field(() => String)
  login!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class AuditLogEvent {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeScalar)
  timestamp!: Date;

  @Field(() => String, {
    description:
      "Event id, kebab-case, e.g. organization-token-created, stack-deleted: eventType's value in kebab case (AuditEventType lists them).",
  })
  event!: string;

  @Field(() => AuditEventType, { description: "The kind of event, as an enum (event holds the same as a kebab-case id)." })
  eventType!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String, { nullable: true })
  sourceIp!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => AuditLogUser, { nullable: true, description: "The user who acted; null when an organization access token did." })
  user!: AuditLogUser | null;

  @Field(() => String, { nullable: true, description: "Name of the organization access token that acted; null otherwise." })
  tokenName!: string | null;

  @Field(() => Boolean)
  requireOrgAdmin!: boolean;

  @Field(() => Boolean)
  requireStackAdmin!: boolean;

  @Field(() => Boolean, { description: "True when the action was refused for lack of permission." })
  authFailure!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class AuditLogEventConnection extends Connection(() => AuditLogEvent) {}

@ObjectType({ simpleResolvers: true })
export class AuditLogExport {
  @Field(() => AuditLogExportFormat)
  format!: keyof typeof AuditLogExportFormat;

  @Field(() => String)
  filename!: string;

  @Field(() => String)
  contentType!: string;

  @Field(() => Int)
  eventCount!: number;

  @Field(() => String)
  content!: string;
}
