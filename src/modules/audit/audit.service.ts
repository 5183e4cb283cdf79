import type { OrganizationRow } from "../../db/rows.js";
import { and, asc, count, desc, eq, gt, gte, lt, lte, max, type SQL, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Db, Store, Tables, Tx } from "../../db/store.js";

import { BadUserInputError } from "../../errors.js";
import { type CursorCodec, type Page, pageSize, toPage } from "../../lib/pagination.js";
import { quote } from "../../lib/validation.js";
import { AUDIT_EVENTS, type AuditEventId, auditEventIdOf, auditEventTypeOf } from "./audit-events.js";
import type { FieldPath } from "../../errors.js";
import { type AuditRow, EXPORT_FORMATS, type ExportFormat } from "./audit-formats.js";
import type { AuditLogFilter } from "./audit.inputs.js";
import type { AuditLogEvent, AuditLogExport } from "./audit.type.js";
import type { AuditWriter } from "./audit.writer.js";
import { type ChargeBytes, unbounded } from "../../lib/response-budget.js";

/** The GraphQL export holds at most this many events; larger ranges stream from the HTTP route. */
export const GRAPHQL_EXPORT_LIMIT = 10_000;
export const EXPORT_BATCH_SIZE = 1000;
const CURSOR_LIST = "audit";

export interface TimeRange {
  readonly since?: Date | null;
  readonly until?: Date | null;
}

/** `at`: where since and until sit in the arguments ("" for arguments, "filter." in a filter). */
function checkRange(range: TimeRange, at: string): void {
  const field = (name: string): FieldPath => `${at}${name}`;
  if (range.since && Number.isNaN(range.since.getTime()))
    throw new BadUserInputError("since is not a valid date", { field: field("since") });
  if (range.until && Number.isNaN(range.until.getTime()))
    throw new BadUserInputError("until is not a valid date", { field: field("until") });
  if (range.since && range.until && range.since.getTime() >= range.until.getTime()) {
    throw new BadUserInputError("since must be before until", { field: field("until") });
  }
}

const inRange = (e: Tables["auditEventsTable"], range: TimeRange): (SQL | undefined)[] => [
  range.since ? gte(e.timestamp, range.since) : undefined,
  range.until ? lt(e.timestamp, range.until) : undefined,
];

export function toAuditLogEvent(row: AuditRow): AuditLogEvent {
  return {
    id: String(row.id),
    timestamp: row.timestamp,
    event: row.event,
    eventType: auditEventTypeOf(row.event as AuditEventId),
    description: row.description,
    sourceIp: row.sourceIp,
    userAgent: row.userAgent,
    user: row.userLogin ? { login: row.userLogin, name: row.userName, avatarUrl: row.userAvatarUrl } : null,
    tokenName: row.tokenName,
    requireOrgAdmin: row.requireOrgAdmin,
    requireStackAdmin: row.requireStackAdmin,
    authFailure: row.authFailure,
  };
}

/** An export about to run: its audit event is written, its rows are fixed. */
export interface ExportPlan {
  readonly format: ExportFormat;
  readonly filename: string;
  readonly contentType: string;
  /** The export holds events up to this id: a snapshot, without its own audit event. */
  readonly lastId: number;
  readonly range: TimeRange;
}

/** Reading the audit log: pages, filters, exports. Writing is AuditWriter's alone. */
export class AuditLogService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
  ) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** Newest first; keyset on the event id, so events written meanwhile never shift a page. */
  async list(organization: OrganizationRow, filter: AuditLogFilter | null | undefined, first: number | null, after: string | null) {
    const size = pageSize(first, { fallback: 100, max: 1000 });
    const conditions = this.filterConditions(organization, filter ?? {});
    const from = after ? this.cursors.decode(`${CURSOR_LIST}:${organization.id}`, after) : null;
    const e = this.t.auditEventsTable;
    const rows = await this.store.db
      .select()
      .from(e)
      .where(and(...conditions, from ? lt(e.id, Number(from[0])) : undefined))
      .orderBy(desc(e.id))
      .limit(size + 1);
    const rowsPage = toPage(rows, size, (last) => this.cursors.encode(`${CURSOR_LIST}:${organization.id}`, [last.id]));
    const page: Page<AuditLogEvent> = { ...rowsPage, nodes: rowsPage.nodes.map(toAuditLogEvent) };
    return {
      page,
      count: async () => {
        const [row] = await this.store.db
          .select({ n: count() })
          .from(e)
          .where(and(...conditions));
        return row!.n;
      },
    };
  }

  /**
   * Fixes what an export will hold and writes its `audit-log-exported` event. `limit`: refuse
   * (BAD_USER_INPUT) a range holding more events than that.
   */
  planExport(
    caller: Caller,
    organization: OrganizationRow,
    format: ExportFormat,
    range: TimeRange,
    limit?: number,
  ): Promise<ExportPlan & { eventCount: number }> {
    checkRange(range, "");
    return this.store.transaction((tx) => this.planIn(tx, caller, organization, format, range, limit));
  }

  /** planExport inside `tx` (range checked). */
  private async planIn(
    tx: Tx,
    caller: Caller,
    organization: OrganizationRow,
    format: ExportFormat,
    range: TimeRange,
    limit?: number,
  ): Promise<ExportPlan & { eventCount: number }> {
    const e = this.t.auditEventsTable;
    const [last] = await tx
      .select({ id: max(e.id) })
      .from(e)
      .where(eq(e.organizationId, organization.id));
    const lastId = last?.id ?? 0;
    const [counted] = await tx
      .select({ n: count() })
      .from(e)
      .where(and(eq(e.organizationId, organization.id), lte(e.id, lastId), ...inRange(e, range)));
    const eventCount = counted!.n;
    if (limit !== undefined && eventCount > limit) {
      throw new BadUserInputError(
        `${eventCount} events fall in this range; this export holds at most ${limit.toLocaleString("en-US")}: narrow since/until, ` +
          `or stream any size from GET /api/orgs/${organization.name}/auditlogs/export?format=${format.toLowerCase()}`,
      );
    }
    const shown = (at: Date | null | undefined) => (at ? at.toISOString() : "");
    await this.audit.write(tx, caller, {
      organizationId: organization.id,
      event: "audit-log-exported",
      description: `Exported ${eventCount} audit events as ${format}${range.since || range.until ? ` (from ${shown(range.since) || "the start"} to ${shown(range.until) || "now"})` : ""}`,
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const { extension, contentType } = EXPORT_FORMATS[format];
    return { format, filename: `auditlog-${organization.name}-${stamp}.${extension}`, contentType, lastId, range, eventCount };
  }

  /**
   * The export's text, batch by batch, oldest first: flat memory whatever its size. Any size,
   * so not in one transaction: each batch is a read of its own, keyset on the id up to the
   * plan's lastId. That is still one fixed set of events: the log is append-only, and an
   * organization's ids are visible in commit order (AuditWriter), so no event at or below
   * lastId appears or goes away between batches.
   */
  async *exportChunks(organization: OrganizationRow, plan: ExportPlan): AsyncGenerator<string> {
    const { header, line } = EXPORT_FORMATS[plan.format];
    if (header) yield header;
    let afterId = 0;
    for (;;) {
      const rows = await this.exportBatch(this.store.db, organization, plan, afterId);
      if (rows.length === 0) return;
      let chunk = "";
      for (const row of rows) chunk += line(row);
      yield chunk;
      afterId = rows[rows.length - 1]!.id;
      if (rows.length < EXPORT_BATCH_SIZE) return;
    }
  }

  /**
   * Exports of up to GRAPHQL_EXPORT_LIMIT events, returned whole. Bounded, so the plan (and its
   * audit event) and every batch are read in one transaction: one snapshot. The response budget
   * is charged once it committed (a transaction may run again on PostgreSQL: no side effect in it).
   */
  async exportAll(
    caller: Caller,
    organization: OrganizationRow,
    format: ExportFormat,
    range: TimeRange,
    charge: ChargeBytes = unbounded,
  ): Promise<AuditLogExport> {
    checkRange(range, "");
    const { plan, chunks } = await this.store.transaction(async (tx) => {
      const plan = await this.planIn(tx, caller, organization, format, range, GRAPHQL_EXPORT_LIMIT);
      const { header, line } = EXPORT_FORMATS[plan.format];
      const chunks: string[] = header ? [header] : [];
      let afterId = 0;
      for (;;) {
        const rows = await this.exportBatch(tx, organization, plan, afterId);
        if (rows.length === 0) break;
        let chunk = "";
        for (const row of rows) chunk += line(row);
        chunks.push(chunk);
        afterId = rows[rows.length - 1]!.id;
        if (rows.length < EXPORT_BATCH_SIZE) break;
      }
      return { plan, chunks };
    });
    let content = "";
    for (const chunk of chunks) {
      charge(chunk.length, `an export of ${plan.eventCount} audit events`);
      content += chunk;
    }
    return { format, filename: plan.filename, contentType: plan.contentType, eventCount: plan.eventCount, content };
  }

  /** Up to EXPORT_BATCH_SIZE events of the export after `afterId`, oldest first. */
  private exportBatch(q: Db, organization: OrganizationRow, plan: ExportPlan, afterId: number): Promise<AuditRow[]> {
    const e = this.t.auditEventsTable;
    return q
      .select()
      .from(e)
      .where(and(eq(e.organizationId, organization.id), gt(e.id, afterId), lte(e.id, plan.lastId), ...inRange(e, plan.range)))
      .orderBy(asc(e.id))
      .limit(EXPORT_BATCH_SIZE);
  }

  private filterConditions(organization: OrganizationRow, filter: AuditLogFilter): (SQL | undefined)[] {
    checkRange(filter, "filter.");
    const e = this.t.auditEventsTable;
    if (filter.event != null && !Object.hasOwn(AUDIT_EVENTS, filter.event)) {
      throw new BadUserInputError(
        `unknown event id ${quote(filter.event)}: use one of the AuditEventType values in kebab case, e.g. stack-deleted`,
        {
          field: "filter.event",
        },
      );
    }
    const byType = filter.eventType != null ? auditEventIdOf(filter.eventType) : undefined;
    if (filter.event != null && byType !== undefined && byType !== filter.event) {
      throw new BadUserInputError(`filter.event ${quote(filter.event)} and filter.eventType ${filter.eventType} disagree: give one`, {
        field: "filter.eventType",
      });
    }
    const event = filter.event ?? byType;
    return [
      eq(e.organizationId, organization.id),
      ...inRange(e, filter),
      event != null ? eq(e.event, event) : undefined,
      filter.userLogin != null ? eq(sql`lower(${e.userLogin})`, filter.userLogin.toLowerCase()) : undefined,
      filter.tokenName != null ? eq(e.tokenName, filter.tokenName) : undefined,
      filter.authFailure != null ? eq(e.authFailure, filter.authFailure) : undefined,
    ];
  }
}
