import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { AuditLogExportFormat } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { Organization } from "../organizations/organization.type.js";
import { AuditLogFilter } from "./audit.inputs.js";
import { AuditLogEventConnection, AuditLogExport } from "./audit.type.js";

@Resolver(() => Organization)
export class AuditLogResolver {
  @FieldResolver(() => AuditLogEventConnection, {
    nullable: true,
    description: "Get Audit Log Events (JSON). Newest first. Null with a FORBIDDEN error for callers who may not read it.",
    deprecationReason: "Use auditLogEventsConnection: the same, non-null for the callers who may read it.",
  })
  async auditLogEvents(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100, description: "1–1,000." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Arg("filter", () => AuditLogFilter, { nullable: true, description: "Only the events that match every condition given." })
    filter: AuditLogFilter | null,
    @Ctx() ctx: Context,
  ): Promise<AuditLogEventConnection> {
    const { page, count } = await ctx.services.auditLog.list(organization, filter, first, after);
    return new AuditLogEventConnection(page, count);
  }

  @FieldResolver(() => AuditLogEventConnection, {
    description:
      "Get Audit Log Events (JSON). Newest first (keyset on the event id). Organization admins and tokens only: for anyone else it is a FORBIDDEN error (and, being non-null, the organization is null).",
  })
  auditLogEventsConnection(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100, description: "1–1,000." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Arg("filter", () => AuditLogFilter, { nullable: true, description: "Only the events that match every condition given." })
    filter: AuditLogFilter | null,
    @Ctx() ctx: Context,
  ): Promise<AuditLogEventConnection> {
    return this.auditLogEvents(organization, first, after, filter, ctx);
  }

  @FieldResolver(() => AuditLogExport, {
    nullable: true,
    description:
      "Export Audit Log Events (CSV or CEF). Oldest first. At most 10,000 events: larger ranges are BAD_USER_INPUT and stream from the HTTP route. Audited as audit-log-exported. Organization admins and tokens; null with a FORBIDDEN error for others.",
  })
  exportAuditLogEvents(
    @Root() organization: OrganizationRow,
    @Arg("format", () => AuditLogExportFormat, { description: "CSV or CEF." }) format: keyof typeof AuditLogExportFormat,
    @Arg("since", () => DateTimeScalar, { nullable: true, description: "Events at or after this time; omitted: from the first." })
    since: Date | null,
    @Arg("until", () => DateTimeScalar, { nullable: true, description: "Events before this time (after since); omitted: up to now." })
    until: Date | null,
    @Ctx() ctx: Context,
  ): Promise<AuditLogExport> {
    return ctx.services.auditLog.exportAll(ctx.caller, organization, format, { since, until }, ctx.requestState.responseBudget.charge);
  }
}
