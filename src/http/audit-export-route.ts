// GET /api/orgs/{org}/auditlogs/export?format=csv|cef&since=ISO&until=ISO
// Streams the audit log, oldest first, in keyset batches with backpressure: memory stays
// flat however many events. Same permission as Organization.exportAuditLogEvents (the
// predicate its permission-map rule is made of, READS_AUDIT_LOG); 401 for a missing or bad
// token, 403 for everything refused.
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AppError, BadUserInputError, ForbiddenError, UnauthenticatedError } from "../errors.js";
import { createContext, type GraphQLServices } from "../graphql/context.js";
import { sendAppError } from "./authenticate-request.js";
import { AccessRefusal } from "../permissions/refusal.js";
import { checkOrganization, READS_AUDIT_LOG } from "../permissions/rules.js";
import type { ExportFormat } from "../modules/audit/audit-formats.js";
import { DATE_TIME_FORMS, parseDateTime } from "../lib/date-time.js";

/** As Fastify parses it: a parameter given twice comes as an array. */
interface ExportQuery {
  format?: string | string[];
  since?: string | string[];
  until?: string | string[];
}

/** One value of a query parameter; given more than once is the client's mistake. */
function single(name: string, value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) throw new BadUserInputError(`${name} is given ${value.length} times: give it once`);
  return value;
}

const sendError = (reply: FastifyReply, status: number, error: AppError) => sendAppError(reply, error, status);

/** The same date forms as the API's DateTime (src/lib/date-time.ts). */
function parseDate(name: string, value: string | undefined): Date | null {
  if (value === undefined || value === "") return null;
  const at = parseDateTime(value);
  if (!at) throw new BadUserInputError(`${name} must be ${DATE_TIME_FORMS}`, { field: name });
  return at;
}

export function registerAuditExportRoute(fastify: FastifyInstance, services: GraphQLServices): void {
  fastify.get<{ Params: { org: string }; Querystring: ExportQuery }>(
    "/api/orgs/:org/auditlogs/export",
    // streaming a large export may take minutes; every other route keeps REQUEST_TIMEOUT
    // no automatic HEAD route: a HEAD would plan (and audit) an export that sends nothing
    { config: { authenticate: true, timeoutMs: 15 * 60_000 }, exposeHeadRoute: false },
    async (request, reply) => {
      const ctx = createContext(services, request.gatehouse!);
      if (ctx.caller.principal.kind === "ANONYMOUS") return sendError(reply, 401, new UnauthenticatedError());

      const { organization } = await ctx.access.organization(request.params.org);
      if (!organization) {
        return sendError(reply, 403, new ForbiddenError("the organization does not exist or you are not a member of it"));
      }
      let format: ExportFormat;
      let since: Date | null;
      let until: Date | null;
      try {
        const asked = (single("format", request.query.format) ?? "csv").toUpperCase();
        if (asked !== "CSV" && asked !== "CEF") throw new BadUserInputError("format must be csv or cef", { field: "format" });
        format = asked;
        since = parseDate("since", single("since", request.query.since));
        until = parseDate("until", single("until", request.query.until));
      } catch (error) {
        if (error instanceof AppError) return sendError(reply, 400, error);
        throw error;
      }

      const allowed = await checkOrganization(ctx, organization.name, "Organization.exportAuditLogEvents", READS_AUDIT_LOG);
      if (allowed !== true) {
        if (allowed instanceof AccessRefusal) await services.refusals.record(ctx.caller, [allowed]);
        return sendError(reply, 403, allowed instanceof AppError ? allowed : new ForbiddenError("you are not allowed to do this"));
      }

      let plan;
      try {
        plan = await services.auditLog.planExport(ctx.caller, organization, format, { since, until });
      } catch (error) {
        if (error instanceof AppError) return sendError(reply, 400, error);
        throw error;
      }
      reply
        .header("content-type", plan.contentType)
        .header("content-disposition", `attachment; filename="${plan.filename}"`)
        .header("cache-control", "no-store")
        .header("x-audit-event-count", String(plan.eventCount));
      return reply.send(Readable.from(services.auditLog.exportChunks(organization, plan), { objectMode: false }));
    },
  );
}
