// The outbox: events are written in the same transaction as the change that caused them,
// one row per active webhook that wants the kind. The dispatcher delivers them after
// commit; a crash loses nothing, a mutation never waits on a receiver.
import { and, eq, sql } from "drizzle-orm";
import { nanoid } from "nanoid";
import type { Store, Tx } from "../../db/store.js";

import type { WebhookEvent } from "./webhook-payloads.js";
import { wants } from "./webhook-rules.js";

/** The Standard Webhooks `webhook-id` of a message: the same for every attempt. */
export const newMessageId = () => `msg_${nanoid(24)}`;

export class WebhookOutbox {
  private readonly activeHooks;
  private listener: (() => void) | null = null;

  constructor(db: Db) {
    this.activeHooks = db
      .select({ id: this.t.webhooksTable.id, filters: this.t.webhooksTable.filters })
      .from(this.t.webhooksTable)
      .where(and(eq(this.t.webhooksTable.organizationId, sql.placeholder("organizationId")), eq(this.t.webhooksTable.active, true)))
      .prepare();
  }

  /** Called once the transaction that enqueued has had the chance to commit. */
  onEnqueued(listener: () => void): void {
    this.listener = listener;
  }

  /** Queues `event` for every active webhook of the organization that wants it; inside `tx`. */
  enqueue(tx: Tx, organizationId: string, event: WebhookEvent): number {
    const hooks = this.activeHooks.all({ organizationId }).filter((hook) => wants(hook.filters, event.kind));
    if (hooks.length === 0) return 0;
    const now = new Date();
    tx.insert(this.t.webhookOutboxTable)
      .values(
        hooks.map((hook) => ({
          webhookId: hook.id,
          messageId: newMessageId(),
          kind: event.kind,
          payload: JSON.stringify(event.payload),
          createdAt: now,
          nextAttemptAt: now,
        })),
      )
      .run();
    // setImmediate runs after the synchronous transaction has committed (or rolled back)
    const listener = this.listener;
    if (listener) setImmediate(listener);
    return hooks.length;
  }
}
