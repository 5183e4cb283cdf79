// Delivers the outbox in the background. A due row is claimed with a lease (so another
// server sharing the database, or this one after a crash, retries it only once the lease
// has run out), sent, and its attempt recorded with the row's new state in one transaction.
// Failures retry at about the configured delays after the first attempt, with ±20% jitter.
import { and, asc, eq, lte, min } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import { type Db, writeTransaction } from "../../db/client.js";
import { webhookOutboxTable, webhooksTable } from "../../db/schema.js";
import type { SecretBox } from "../../lib/secret-box.js";
import { type Attempt, recordAttempt, sendAttempt, succeeded } from "./webhook-delivery.js";
import type { WebhookEvent } from "./webhook-payloads.js";
import type { WebhookSender } from "./webhook-sender.js";

type OutboxRow = typeof webhookOutboxTable.$inferSelect;

export interface DispatcherOptions {
  readonly db: Db;
  readonly sender: WebhookSender;
  readonly secrets: SecretBox;
  /** Delays after the first attempt; attempts in all = 1 + its length. */
  readonly schedule: readonly number[];
  readonly timeoutMs: number;
  readonly log: FastifyBaseLogger;
  readonly pollMs?: number;
  readonly concurrency?: number;
}

const jitter = (delay: number) => delay * (0.8 + Math.random() * 0.4);

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 1000);
    this.timer.unref();
    this.kick();
  }

  /** Look for due deliveries now (after a commit that queued some). */
  kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err: unknown) => this.options.log.error({ err }, "webhook dispatcher failed; retrying on the next tick"))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops polling and waits for the attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const claimed = this.claim();
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((row) => this.deliver(row)));
    }
    this.wakeForNextRetry();
  }

  /** A retry due before the next poll gets its own timer. */
  private wakeForNextRetry(): void {
    const next = this.options.db
      .select({ at: min(webhookOutboxTable.nextAttemptAt) })
      .from(webhookOutboxTable)
      .where(eq(webhookOutboxTable.state, "PENDING"))
      .get()?.at;
    if (!next || this.stopped) return;
    const wait = next.getTime() - Date.now();
    if (wait < (this.options.pollMs ?? 1000)) setTimeout(() => this.kick(), Math.max(0, wait)).unref();
  }

  private claim(): OutboxRow[] {
    const { db, timeoutMs } = this.options;
    const now = Date.now();
    const due = db
      .select()
      .from(webhookOutboxTable)
      .where(and(eq(webhookOutboxTable.state, "PENDING"), lte(webhookOutboxTable.nextAttemptAt, new Date(now))))
      .orderBy(asc(webhookOutboxTable.nextAttemptAt))
      .limit(this.options.concurrency ?? 8)
      .all();
    const lease = new Date(now + timeoutMs + 5000);
    return due.filter(
      (row) =>
        db
          .update(webhookOutboxTable)
          .set({ nextAttemptAt: lease })
          .where(and(eq(webhookOutboxTable.id, row.id), eq(webhookOutboxTable.nextAttemptAt, row.nextAttemptAt)))
          .run().changes === 1,
    );
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { db, sender, secrets, schedule } = this.options;
    const webhook = db.select().from(webhooksTable).where(eq(webhooksTable.id, row.webhookId)).get();
    if (!webhook || !webhook.active) {
      // deactivated after the event was queued: it receives nothing
      db.update(webhookOutboxTable).set({ state: "FAILED" }).where(eq(webhookOutboxTable.id, row.id)).run();
      return;
    }
    const event: WebhookEvent = { kind: row.kind as WebhookEvent["kind"], payload: JSON.parse(row.payload) };
    const attempt: Attempt = { webhook, event, messageId: row.messageId, attempt: row.attempts + 1, outboxId: row.id };
    const sent = await sendAttempt(sender, secrets, attempt);
    const attempts = row.attempts + 1;
    const delivered = succeeded(sent.result);
    const exhausted = !delivered && attempts >= 1 + schedule.length;
    const retryAt = delivered || exhausted
      ? row.nextAttemptAt
      : new Date(Math.max(Date.now() + 250, row.createdAt.getTime() + jitter(schedule[attempts - 1]!)));
    writeTransaction(db, (tx) => {
      recordAttempt(tx, attempt, sent);
      tx.update(webhookOutboxTable)
        .set({ attempts, state: delivered ? "DELIVERED" : exhausted ? "FAILED" : "PENDING", nextAttemptAt: retryAt })
        .where(eq(webhookOutboxTable.id, row.id))
        .run();
    });
    this.options.log.info(
      { webhook: webhook.name, kind: row.kind, attempt: attempts, status: sent.result.responseCode, delivered, error: sent.result.error },
      "webhook delivery attempt",
    );
  }
}
