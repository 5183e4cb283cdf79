// The outbox: events are written in the same transaction as the change that caused them,
// one row per active webhook that wants the kind. The dispatcher delivers them after
// commit; a crash loses nothing, a mutation never waits on a receiver.
import { and, eq } from "drizzle-orm";
import { nanoid } from "nanoid";
import type { Store, Tx } from "../../db/store.js";

import type { WebhookEvent } from "./webhook-payloads.js";
import { wants } from "./webhook-rules.js";

/** The Standard Webhooks `webhook-id` of a message: the same for every attempt. */
export const newMessageId = () => `msg_${nanoid(24)}`;

export class WebhookOutbox {
  private listener: (() => void) | null = null;

  constructor(private readonly store: Store) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** Called once the transaction that enqueued has committed (never when it rolled back). */
  onEnqueued(listener: () => void): void {
    this.listener = listener;
  }

  /** Queues `event` for every active webhook of the organization that wants it; inside `tx`. */
  async enqueue(tx: Tx, organizationId: string, event: WebhookEvent): Promise<number> {
    const w = this.t.webhooksTable;
    const active = await tx
      .select({ id: w.id, filters: w.filters })
      .from(w)
      .where(and(eq(w.organizationId, organizationId), eq(w.active, true)));
    const hooks = active.filter((hook) => wants(hook.filters, event.kind));
    if (hooks.length === 0) return 0;
    const now = new Date();
    await tx.insert(this.t.webhookOutboxTable).values(
      hooks.map((hook) => ({
        webhookId: hook.id,
        messageId: newMessageId(),
        kind: event.kind,
        payload: JSON.stringify(event.payload),
        createdAt: now,
        nextAttemptAt: now,
      })),
    );
    // after commit only: the dispatcher must not look before the rows are there
    const listener = this.listener;
    if (listener) this.store.afterCommit(tx, listener);
    return hooks.length;
  }
}
