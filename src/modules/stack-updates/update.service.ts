import type { UpdateRow } from "../../db/rows.js";
import { isDeepStrictEqual } from "node:util";
import { and, count, desc, eq, lt, max } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Store, Tx } from "../../db/store.js";
import { onUniqueViolation } from "../../db/errors.js";
import { type ResourceChangesValue, type UpdateKindValue, type UpdateStatusValue } from "../../db/schema.js";
import { BadUserInputError, ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { type CursorCodec, type Page, pageSize, toPage } from "../../lib/pagination.js";
import { checkText } from "../../lib/validation.js";
import type { StackNode } from "../../permissions/access.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { WebhookOutbox } from "../webhooks/webhook-outbox.js";
import { updateEvent } from "../webhooks/webhook-payloads.js";
import { fullName, type StackService } from "../stacks/stack.service.js";
import { checkState } from "../stacks/stack-state.js";
import { UpdateEventLog } from "./update-events.js";
import type { ResourceChangesInput, UpdateEventInput } from "./update.inputs.js";

const ENDED: readonly UpdateStatusValue[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** How a running update is asked to end (completeUpdate, completeStackUpdate). */
export interface UpdateEnd {
  /** Not read: the update is the one passed beside it (callers may pass their whole input). */
  readonly updateId?: string;
  readonly status: UpdateStatusValue;
  readonly resourceChanges?: ResourceChangesInput | null;
  readonly state?: unknown;
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
  const field = "input.resourceChanges";
  if (!input) return null;
  const changes = {
    create: input.create ?? 0,
    update: input.update ?? 0,
    delete: input.delete ?? 0,
    same: input.same ?? 0,
    replace: input.replace ?? 0,
  };
  for (const [op, n] of Object.entries(changes)) {
    if (n < 0) throw new BadUserInputError(`resourceChanges.${op} must not be negative`, { field: `${field}.${op}` });
  }
  return changes;
}

/** Updates of a stack and their engine events: start, append, complete, cancel, history. */
export class UpdateService {
  private readonly eventLog;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
    private readonly stacks: StackService,
    private readonly outbox: WebhookOutbox,
  ) {
    this.eventLog = new UpdateEventLog(store, cursors);
  }

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** A RUNNING update with the stack's next version; one non-preview update at a time. */
  async start(caller: Caller, stack: StackNode, kind: UpdateKindValue, message: string | null | undefined): Promise<UpdateRow> {
    const text = message == null ? null : checkText("message", message, 1000, "input.message");
    const isPreview = kind === "PREVIEW";
    const actor = actorName(caller);
    try {
      return await this.store.transaction(async (tx) => {
        if (!isPreview) await this.stacks.refuseWhileRunning(tx, stack, "updated");
        const [last] = await tx
          .select({ version: max(this.t.stackUpdatesTable.version) })
          .from(this.t.stackUpdatesTable)
          .where(eq(this.t.stackUpdatesTable.stackId, stack.id));
        const [update] = await tx
          .insert(this.t.stackUpdatesTable)
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
          .returning();
        await this.audit.write(tx, caller, {
          organizationId: stack.organizationId,
          event: "stack-update-started",
          description: `Started ${kind} ${update!.version} of stack "${fullName(stack.organization, stack)}"`,
        });
        return update!;
      });
    } catch (error) {
      // two starts raced past the check: the partial unique index refused the second
      throw onUniqueViolation(
        error,
        () => new ConflictError(`an update of stack "${fullName(stack.organization, stack)}" is already running`),
      );
    }
  }

  /**
   * Stores the events not stored yet; only while the update runs. Idempotent by sequence: an
   * event resent with the same type and payload changes nothing (also after the update ended,
   * so a retried last batch succeeds), one resent with another type or payload is CONFLICT.
   */
  append(update: UpdateRow, events: UpdateEventInput[]): Promise<number> {
    const rows = this.eventLog.check(update, events);
    return this.store.transaction(async (tx) => this.eventLog.append(tx, update, await this.currentStatus(tx, update), rows));
  }

  /**
   * Ends a running update. A succeeded non-preview update carrying `state` makes it the
   * stack's checkpoint; any non-preview end sets the stack's lastUpdatedAt. Repeated after
   * the update ended (a retry after a lost response), the same outcome returns the update as
   * it is, changing and auditing nothing (a `state` sent again is not applied again); another
   * outcome is CONFLICT.
   */
  complete(caller: Caller, update: UpdateRow, stack: StackNode, end: UpdateEnd): Promise<UpdateRow> {
    if (!ENDED.includes(end.status)) {
      throw new BadUserInputError(`status must be SUCCEEDED, FAILED or CANCELLED, not ${end.status}`, { field: "input.status" });
    }
    const resourceChanges = checkResourceChanges(end.resourceChanges);
    const checkpoint = end.status === "SUCCEEDED" && !update.isPreview && end.state != null ? checkState(end.state, "input.state") : null;
    return this.store.transaction(async (tx) => {
      const current = await this.current(tx, update);
      if (current.status !== "RUNNING")
        return this.alreadyEnded(current, end.status, end.resourceChanges == null ? undefined : resourceChanges);
      const endedAt = new Date();
      const [ended] = await tx
        .update(this.t.stackUpdatesTable)
        .set({ status: end.status, endedAt, resourceChanges })
        .where(eq(this.t.stackUpdatesTable.id, update.id))
        .returning();
      if (checkpoint) await this.stacks.writeCheckpoint(tx, stack.id, checkpoint.json, checkpoint.resourceCount, endedAt);
      if (!update.isPreview) {
        await tx.update(this.t.stacksTable).set({ lastUpdatedAt: endedAt }).where(eq(this.t.stacksTable.id, stack.id));
      }
      await this.writeEndEvents(tx, caller, stack, ended!, checkpoint?.resourceCount);
      return ended!;
    });
  }

  /** Cancels a running update; repeated once it is cancelled, returns it as it is. */
  cancel(caller: Caller, update: UpdateRow, stack: StackNode): Promise<UpdateRow> {
    return this.store.transaction(async (tx) => {
      const current = await this.current(tx, update);
      if (current.status !== "RUNNING") return this.alreadyEnded(current, "CANCELLED");
      const endedAt = new Date();
      const [ended] = await tx
        .update(this.t.stackUpdatesTable)
        .set({ status: "CANCELLED", endedAt })
        .where(eq(this.t.stackUpdatesTable.id, update.id))
        .returning();
      if (!update.isPreview) {
        await tx.update(this.t.stacksTable).set({ lastUpdatedAt: endedAt }).where(eq(this.t.stacksTable.id, stack.id));
      }
      await this.writeEndEvents(tx, caller, stack, ended!);
      return ended!;
    });
  }

  /**
   * An update asked to end again: the same outcome (status, and resource changes when given)
   * is the answer to a retry and returns the update unchanged; another is a state conflict.
   */
  private alreadyEnded(current: UpdateRow, status: UpdateStatusValue, resourceChanges?: ResourceChangesValue | null): UpdateRow {
    const name = `update ${current.version}`;
    if (current.status !== status) {
      throw new ConflictError(`${name} already ended as ${current.status}: it cannot end as ${status}`);
    }
    if (resourceChanges !== undefined && !isDeepStrictEqual(current.resourceChanges, resourceChanges)) {
      throw new ConflictError(
        `${name} already ended as ${current.status} with resourceChanges ${JSON.stringify(current.resourceChanges)}, not ${JSON.stringify(resourceChanges)}`,
      );
    }
    return current;
  }

  /** Updates (previews or every other kind), newest first. */
  async list(
    stack: StackNode,
    previews: boolean,
    first: number | null,
    after: string | null,
  ): Promise<{ page: Page<UpdateRow>; count: () => Promise<number> }> {
    const size = pageSize(first);
    const list = `${previews ? "previews" : "updates"}:${stack.id}`;
    const from = after ? this.cursors.decode(list, after) : null;
    const u = this.t.stackUpdatesTable;
    const scope = and(eq(u.stackId, stack.id), eq(u.isPreview, previews));
    const rows = await this.store.db
      .select()
      .from(u)
      .where(and(scope, from ? lt(u.version, Number(from[0])) : undefined))
      .orderBy(desc(u.version))
      .limit(size + 1);
    return {
      page: toPage(rows, size, (last) => this.cursors.encode(list, [last.version])),
      count: async () => {
        const [row] = await this.store.db.select({ n: count() }).from(u).where(scope);
        return row!.n;
      },
    };
  }

  async byVersion(stack: StackNode, version: number): Promise<UpdateRow | null> {
    const [row] = await this.store.db
      .select()
      .from(this.t.stackUpdatesTable)
      .where(and(eq(this.t.stackUpdatesTable.stackId, stack.id), eq(this.t.stackUpdatesTable.version, version)))
      .limit(1);
    return row ?? null;
  }

  /**
   * Engine events in sequence order; pages of up to 1,000, and of at most 4 MiB of payloads
   * or `maxBytes` (what the response may still take), whichever is less. `bytes`: what the
   * page holds; an empty page with hasNextPage means not even one event fitted.
   */
  events(update: UpdateRow, first: number | null, after: string | null, maxBytes?: number) {
    return this.eventLog.page(update, first, after, maxBytes);
  }

  /** The audit event and the webhook event of an update that ended. */
  private async writeEndEvents(
    tx: Tx,
    caller: Caller,
    stack: StackNode,
    ended: UpdateRow,
    resourceCount = stack.resourceCount,
  ): Promise<void> {
    await this.outbox.enqueue(tx, stack.organizationId, updateEvent(caller, stack.organization, stack, ended, resourceCount));
    const name = `${ended.kind} ${ended.version} of stack "${fullName(stack.organization, stack)}"`;
    await this.audit.write(
      tx,
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

  /** The update as it is now, inside the write transaction. */
  private async current(tx: Tx, update: UpdateRow): Promise<UpdateRow> {
    const [current] = await tx.select().from(this.t.stackUpdatesTable).where(eq(this.t.stackUpdatesTable.id, update.id)).limit(1);
    if (!current) throw new NotFoundError(`update ${update.id} not found`);
    return current;
  }

  private async currentStatus(tx: Tx, update: UpdateRow): Promise<UpdateStatusValue> {
    const [current] = await tx
      .select({ status: this.t.stackUpdatesTable.status })
      .from(this.t.stackUpdatesTable)
      .where(eq(this.t.stackUpdatesTable.id, update.id))
      .limit(1);
    if (!current) throw new NotFoundError(`update ${update.id} not found`);
    return current.status;
  }
}
