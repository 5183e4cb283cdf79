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
  @Field(() => String, { description: "The user's login." })
  login!: string;

  @Field(() => String, { nullable: true, description: "The user's full name then; null when none." })
  name!: string | null;

  @Field(() => String, { nullable: true, description: "The user's picture URL then; null when none." })
  avatarUrl!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "One entry of an organization's audit log: a change, a state read, an export, or a refused operation.",
})
export class AuditLogEvent {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => DateTimeScalar, { description: "When it happened." })
  timestamp!: Date;

  @Field(() => String, {
    description:
      "Event id, kebab-case, e.g. organization-token-created, stack-deleted: eventType's value in kebab case (AuditEventType lists them).",
  })
  event!: string;

  @Field(() => AuditEventType, { description: "The kind of event, as an enum (event holds the same as a kebab-case id)." })
  eventType!: string;

  @Field(() => String, {
    description:
      'What happened, in words, e.g. Created stack "acme/web/prod". Values a caller gave are quoted and shortened; secrets never appear.',
  })
  description!: string;

  @Field(() => String, { nullable: true, description: "The IP address the request came from; null when there was no request (admin CLI)." })
  sourceIp!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The request's User-Agent header (at most 512 characters); null when none was sent.",
  })
  userAgent!: string | null;

  @Field(() => AuditLogUser, {
    nullable: true,
    description: "The user who acted, as they were then; null when an organization access token or the server (admin CLI) did.",
  })
  user!: AuditLogUser | null;

  @Field(() => String, { nullable: true, description: "Name of the organization access token that acted; null otherwise." })
  tokenName!: string | null;

  @Field(() => Boolean, {
    description: "True when the operation needs an organization admin (or an organization token, for the admin-level work it may do).",
  })
  requireOrgAdmin!: boolean;

  @Field(() => Boolean, { description: "True when the operation needs ADMIN on the stack." })
  requireStackAdmin!: boolean;

  @Field(() => Boolean, { description: "True when the action was refused for lack of permission." })
  authFailure!: boolean;
}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's audit log, newest first." })
export class AuditLogEventConnection extends Connection(() => AuditLogEvent) {}

@ObjectType({
  simpleResolvers: true,
  description: "An audit log export, whole: at most 10,000 events (GET /api/orgs/{org}/auditlogs/export streams any number).",
})
export class AuditLogExport {
  @Field(() => AuditLogExportFormat, { description: "CSV or CEF." })
  format!: keyof typeof AuditLogExportFormat;

  @Field(() => String, { description: "A file name for it: auditlog-<organization>-<time of export>.csv or .cef." })
  filename!: string;

  @Field(() => String, { description: "Its media type: text/csv; charset=utf-8 (CSV) or text/plain; charset=utf-8 (CEF)." })
  contentType!: string;

  @Field(() => Int, { description: "How many events it holds." })
  eventCount!: number;

  @Field(() => String, { description: "The export's text, oldest event first." })
  content!: string;
}
