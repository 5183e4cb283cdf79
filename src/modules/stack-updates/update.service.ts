import { and, asc, count, desc, eq, gt, lt, max, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import { type Db, type Tx, writeTransaction } from "../../db/client.js";
import { isUniqueViolation } from "../../db/errors.js";
import {
  type ResourceChangesValue,
  stacksTable,
  stackUpdatesTable,
  updateEventsTable,
  type UpdateKindValue,
  type UpdateStatusValue,
} from "../../db/schema.js";
import { BadUserInputError, ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { type CursorCodec, type Page, pageSize, toPage } from "../../lib/pagination.js";
import { checkText, quote } from "../../lib/validation.js";
import type { StackNode, UpdateRow } from "../../permissions/access.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { WebhookOutbox } from "../webhooks/webhook-outbox.js";
import { updateEvent } from "../webhooks/webhook-payloads.js";
import { fullName, type StackService } from "../stacks/stack.service.js";
import { checkState } from "../stacks/stack-state.js";
import type { CompleteUpdateInput, ResourceChangesInput, UpdateEventInput } from "./update.inputs.js";

export const MAX_EVENTS_PER_APPEND = 1000;
const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;
/** A page of events stops early (hasNextPage stays true) once its payloads pass this size. */
const EVENT_PAGE_BYTE_BUDGET = 4 * 1024 * 1024;
/** An event's sequence, type and timestamp, as they add to a response beside its payload. */
const EVENT_OVERHEAD_BYTES = 100;
const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;
const ENDED: readonly UpdateStatusValue[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

export interface StoredEvent {
  sequence: number;
  timestamp: Date;
  type: string;
  payload: unknown;
}

function actorName(caller: Caller): { requestedBy: string; userId: string | null; tokenId: string | null } {
  const { principal } = caller;
  if (principal.kind === "USER") return { requestedBy: principal.user.login, userId: principal.user.id, tokenId: null };
  if (principal.kind === "ORGANIZATION_TOKEN") {
    return { requestedBy: principal.token.name ?? "organization token", userId: null, tokenId: principal.token.id };
  }
  return { requestedBy: principal.kind === "SYSTEM" ? principal.label : "anonymous", userId: null, tokenId: null };
}

function checkResourceChanges(input: ResourceChangesInput | null | undefined): ResourceChangesValue | null {
  if (!input) return null;
  const changes = {
    create: input.create ?? 0,
    update: input.update ?? 0,
    delete: input.delete ?? 0,
    same: input.same ?? 0,
    replace: input.replace ?? 0,
  };
  for (const [op, n] of Object.entries(changes)) {
    if (n < 0) throw new BadUserInputError(`resourceChanges.${op} must not be negative`);
  }
  return changes;
}

/** Updates of a stack and their engine events: start, append, complete, cancel, history. */
export class UpdateService {
  private readonly insertEvent;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
    private readonly stacks: StackService,
    private readonly outbox: WebhookOutbox,
  ) {
    const p = (name: string) => sql.placeholder(name);
    this.insertEvent = db
      .insert(updateEventsTable)
      .values({ updateId: p("updateId"), sequence: p("sequence"), timestamp: p("timestamp"), type: p("type"), payload: p("payload") })
      .onConflictDoNothing()
      .prepare();
  }

  /** A RUNNING update with the stack's next version; one non-preview update at a time. */
  start(caller: Caller, stack: StackNode, kind: UpdateKindValue, message: string | null | undefined): UpdateRow {
    const text = message == null ? null : checkText("message", message, 1000);
    const isPreview = kind === "PREVIEW";
    const actor = actorName(caller);
    try {
      return writeTransaction(this.db, (tx) => {
        if (!isPreview) this.stacks.refuseWhileRunning(tx, stack, "updated");
        const last = tx
          .select({ version: max(stackUpdatesTable.version) })
          .from(stackUpdatesTable)
          .where(eq(stackUpdatesTable.stackId, stack.id))
          .get();
        const update = tx
          .insert(stackUpdatesTable)
          .values({
            id: newId(),
            stackId: stack.id,
            version: (last?.version ?? 0) + 1,
            kind,
            isPreview,
            status: "RUNNING",
            message: text,
            startedAt: new Date(),
            requestedByUserId: actor.userId,
            requestedByTokenId: actor.tokenId,
            requestedBy: actor.requestedBy,
          })
          .returning()
          .get();
        this.audit.write(caller, {
          organizationId: stack.organizationId,
          event: "stack-update-started",
          description: `Started ${kind} ${update.version} of stack "${fullName(stack.organization, stack)}"`,
        });
        return update;
      });
    } catch (error) {
      // two starts raced past the check: the partial unique index refused the second
      if (isUniqueViolation(error)) throw new ConflictError(`an update of stack "${fullName(stack.organization, stack)}" is already running`);
      throw error;
    }
  }

  /** Stores the events not stored yet (idempotent by sequence); only while the update runs. */
  append(update: UpdateRow, events: UpdateEventInput[]): number {
    if (events.length > MAX_EVENTS_PER_APPEND) {
      throw new BadUserInputError(`at most ${MAX_EVENTS_PER_APPEND} events per call: send them in batches`);
    }
    const now = Date.now();
    const rows = events.map((event, i) => {
      if (!Number.isInteger(event.sequence) || event.sequence < 0) {
        throw new BadUserInputError(`events[${i}].sequence must be an integer ≥ 0`);
      }
      if (!EVENT_TYPE_PATTERN.test(event.type)) {
        throw new BadUserInputError(`events[${i}].type ${quote(event.type)} is not an event type, e.g. stdoutEvent`);
      }
      if (event.payload === undefined || event.payload === null) {
        throw new BadUserInputError(`events[${i}].payload is required`);
      }
      const payload = JSON.stringify(event.payload);
      if (Buffer.byteLength(payload) > MAX_EVENT_PAYLOAD_BYTES) {
        throw new BadUserInputError(`events[${i}].payload is larger than ${MAX_EVENT_PAYLOAD_BYTES / 1024} KiB`);
      }
      return {
        updateId: update.id,
        sequence: event.sequence,
        timestamp: event.timestamp ?? new Date(now),
        type: event.type,
        payload,
      };
    });
    return writeTransaction(this.db, (tx) => {
      this.requireRunning(tx, update, "events can be appended only while it runs");
      let stored = 0;
      for (const row of rows) stored += this.insertEvent.run(row).changes;
      return stored;
    });
  }

  /**
   * Ends a running update. A succeeded non-preview update carrying `state` makes it the
   * stack's checkpoint; any non-preview end sets the stack's lastUpdatedAt.
   */
  complete(caller: Caller, update: UpdateRow, stack: StackNode, input: CompleteUpdateInput): UpdateRow {
    if (!ENDED.includes(input.status)) {
      throw new BadUserInputError(`status must be SUCCEEDED, FAILED or CANCELLED, not ${input.status}`);
    }
    const resourceChanges = checkResourceChanges(input.resourceChanges);
    const checkpoint =
      input.status === "SUCCEEDED" && !update.isPreview && input.state != null ? checkState(input.state) : null;
    return writeTransaction(this.db, (tx) => {
      this.requireRunning(tx, update, "it cannot be completed again");
      const endedAt = new Date();
      const ended = tx
        .update(stackUpdatesTable)
        .set({ status: input.status, endedAt, resourceChanges })
        .where(eq(stackUpdatesTable.id, update.id))
        .returning()
        .get()!;
      if (checkpoint) this.stacks.writeCheckpoint(tx, stack.id, checkpoint.json, checkpoint.resourceCount, endedAt);
      if (!update.isPreview) tx.update(stacksTable).set({ lastUpdatedAt: endedAt }).where(eq(stacksTable.id, stack.id)).run();
      this.writeEndEvents(tx, caller, stack, ended, checkpoint?.resourceCount);
      return ended;
    });
  }

  cancel(caller: Caller, update: UpdateRow, stack: StackNode): UpdateRow {
    return writeTransaction(this.db, (tx) => {
      this.requireRunning(tx, update, "only a running update can be cancelled");
      const endedAt = new Date();
      const ended = tx
        .update(stackUpdatesTable)
        .set({ status: "CANCELLED", endedAt })
        .where(eq(stackUpdatesTable.id, update.id))
        .returning()
        .get()!;
      if (!update.isPreview) tx.update(stacksTable).set({ lastUpdatedAt: endedAt }).where(eq(stacksTable.id, stack.id)).run();
      this.writeEndEvents(tx, caller, stack, ended);
      return ended;
    });
  }

  /** Updates (previews or every other kind), newest first. */
  list(stack: StackNode, previews: boolean, first: number | null, after: string | null): { page: Page<UpdateRow>; count: () => number } {
    const size = pageSize(first);
    const list = `${previews ? "previews" : "updates"}:${stack.id}`;
    const from = after ? this.cursors.decode(list, after) : null;
    const u = stackUpdatesTable;
    const scope = and(eq(u.stackId, stack.id), eq(u.isPreview, previews));
    const rows = this.db
      .select()
      .from(u)
      .where(and(scope, from ? lt(u.version, Number(from[0])) : undefined))
      .orderBy(desc(u.version))
      .limit(size + 1)
      .all();
    return {
      page: toPage(rows, size, (last) => this.cursors.encode(list, [last.version])),
      count: () => this.db.select({ n: count() }).from(u).where(scope).get()!.n,
    };
  }

  byVersion(stack: StackNode, version: number): UpdateRow | null {
    return (
      this.db
        .select()
        .from(stackUpdatesTable)
        .where(and(eq(stackUpdatesTable.stackId, stack.id), eq(stackUpdatesTable.version, version)))
        .get() ?? null
    );
  }

  /**
   * Engine events in sequence order; pages of up to 1,000, and of at most 4 MiB of payloads
   * or `maxBytes` (what the response may still take), whichever is less. `bytes`: what the
   * page holds; an empty page with hasNextPage means not even one event fitted.
   */
  events(
    update: UpdateRow,
    first: number | null,
    after: string | null,
    maxBytes = EVENT_PAGE_BYTE_BUDGET,
  ): { page: Page<StoredEvent>; count: () => number; bytes: number } {
    const size = pageSize(first, { fallback: 100, max: 1000 });
    const from = after ? this.cursors.decode(`events:${update.id}`, after) : null;
    const e = updateEventsTable;
    const stored = this.db
      .select({ sequence: e.sequence, timestamp: e.timestamp, type: e.type, payload: e.payload })
      .from(e)
      .where(and(eq(e.updateId, update.id), from ? gt(e.sequence, Number(from[0])) : undefined))
      .orderBy(asc(e.sequence))
      .limit(size + 1)
      .all();
    // up to `size` events, fewer when their payloads pass the byte budget (the rest come next)
    const budget = Math.min(EVENT_PAGE_BYTE_BUDGET, maxBytes);
    let take = 0;
    let bytes = 0;
    while (take < size && take < stored.length) {
      const next = stored[take]!.payload.length + EVENT_OVERHEAD_BYTES;
      // the first event of a page always goes in, as long as the response can take it
      if (bytes + next > (take === 0 ? maxBytes : budget)) break;
      bytes += next;
      take++;
    }
    const nodes = stored.slice(0, take).map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
    const last = nodes[nodes.length - 1];
    const page: Page<StoredEvent> = {
      nodes,
      hasNextPage: take < stored.length,
      endCursor: last ? this.cursors.encode(`events:${update.id}`, [last.sequence]) : null,
    };
    return {
      page,
      count: () => this.db.select({ n: count() }).from(e).where(eq(e.updateId, update.id)).get()!.n,
      bytes,
    };
  }

  /** The audit event and the webhook event of an update that ended. */
  private writeEndEvents(tx: Tx, caller: Caller, stack: StackNode, ended: UpdateRow, resourceCount = stack.resourceCount): void {
    this.outbox.enqueue(tx, stack.organizationId, updateEvent(caller, stack.organization, stack, ended, resourceCount));
    const name = `${ended.kind} ${ended.version} of stack "${fullName(stack.organization, stack)}"`;
    this.audit.write(
      caller,
      ended.status === "CANCELLED"
        ? { organizationId: stack.organizationId, event: "stack-update-canceled", description: `Cancelled ${name}` }
        : {
            organizationId: stack.organizationId,
            event: "stack-update-completed",
            description: `Completed ${name}: ${ended.status}`,
          },
    );
  }

  private requireRunning(tx: Tx, update: UpdateRow, consequence: string): void {
    const current = tx.select({ status: stackUpdatesTable.status }).from(stackUpdatesTable).where(eq(stackUpdatesTable.id, update.id)).get();
    if (!current) throw new NotFoundError(`update ${update.id} not found`);
    if (current.status !== "RUNNING") {
      throw new BadUserInputError(`update ${update.version} already ended (${current.status}): ${consequence}`);
    }
  }
}
