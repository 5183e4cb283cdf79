// Delivers the outbox in the background. A due row is claimed with a lease (so another
// server sharing the database, or this one after a crash, retries it only once the lease
// has run out), sent, and its attempt recorded with the row's new state in one transaction.
// Failures retry at about the configured delays after the first attempt, with ±20% jitter.
import { and, eq, min } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import type { OutboxRow } from "../../db/rows.js";
import type { Store } from "../../db/store.js";
import type { SecretBox } from "../../lib/secret-box.js";
import { type Attempt, recordAttempt, sendAttempt, succeeded } from "./webhook-delivery.js";
import type { WebhookEvent } from "./webhook-payloads.js";
import type { WebhookSender } from "./webhook-sender.js";

export interface DispatcherOptions {
  /** Its pendingCommits (SQLite's group commit): nothing is sent before what it was claimed with is committed. */
  readonly store: Store;
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
  private retryTimer: NodeJS.Timeout | null = null;
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

  /**
   * Stops claiming and waits for the attempts in flight: each one finishes (at most its
   * timeout), records its result and moves its row on, so no row it claimed stays leased. A
   * claim that was running when stop() was called is delivered too, before it resolves.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const since = this.options.store.pendingCommits?.sequence ?? 0;
      const claimed = await this.claim();
      if (claimed.length === 0) break;
      // the rows (and the change that queued them) must be durable before a receiver hears of them;
      // if their group was rolled back, so were the claims: they are retried later
      // (PostgreSQL: committed already, nothing to wait for)
      await this.options.store.pendingCommits?.settled(since);
      // every claimed row is attempted, even after stop(), and one that fails does not cut the
      // others short (stop() waits for all of them)
      await Promise.all(
        claimed.map((row) =>
          this.deliver(row).catch((err: unknown) =>
            this.options.log.error({ err, outboxId: row.id }, "webhook delivery failed; retried once its lease runs out"),
          ),
        ),
      );
    }
    await this.wakeForNextRetry();
  }

  /** A retry due before the next poll gets its own timer. */
  private async wakeForNextRetry(): Promise<void> {
    if (this.stopped) return;
    const o = this.options.store.tables.webhookOutboxTable;
    const [row] = await this.options.store.db
      .select({ at: min(o.nextAttemptAt) })
      .from(o)
      .where(eq(o.state, "PENDING"));
    const next = row?.at;
    if (!next || this.stopped) return;
    const wait = next.getTime() - Date.now();
    if (wait < (this.options.pollMs ?? 1000)) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), Math.max(0, wait));
      this.retryTimer.unref();
    }
  }

  /**
   * Claims due rows, fairly: round-robin across organizations (every organization's oldest
   * due row before any organization's second), so one organization's slow or failing
   * receivers cannot hold every slot. The store claims them (each dialect its own way), with
   * a lease of the timeout and 5 s; two claimers never get the same row.
   */
  private claim(): Promise<OutboxRow[]> {
    const { store, timeoutMs } = this.options;
    return store.claimDueOutbox(new Date(), timeoutMs + 5000, this.options.concurrency ?? 8);
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { store, sender, secrets, schedule } = this.options;
    const { webhookOutboxTable, webhooksTable } = store.tables;
    // every write below is conditional on our lease: a worker whose lease ran out changes nothing
    const ours = and(eq(webhookOutboxTable.id, row.id), eq(webhookOutboxTable.nextAttemptAt, row.nextAttemptAt));
    const [webhook] = await store.db.select().from(webhooksTable).where(eq(webhooksTable.id, row.webhookId)).limit(1);
    if (!webhook || !webhook.active) {
      // deactivated after the event was queued: it receives nothing
      await store.transaction(async (tx) => {
        await tx.update(webhookOutboxTable).set({ state: "FAILED" }).where(ours);
      });
      return;
    }
    const event: WebhookEvent = { kind: row.kind as WebhookEvent["kind"], payload: JSON.parse(row.payload) as WebhookEvent["payload"] };
    const attempt: Attempt = { webhook, event, messageId: row.messageId, attempt: row.attempts + 1, outboxId: row.id };
    const attempts = row.attempts + 1;
    let sent: Awaited<ReturnType<typeof sendAttempt>>;
    try {
      sent = await sendAttempt(sender, secrets, attempt);
    } catch (err) {
      // could not even send (e.g. the secret no longer decrypts under this SECRET_KEY): this
      // counts as an attempt, so the row does not come back forever
      this.options.log.error({ err, webhook: webhook.name }, "webhook delivery could not be sent");
      sent = {
        headers: {},
        sentAt: new Date(),
        result: { responseCode: null, responseHeaders: null, responseBody: null, error: "could not send the request", duration: 0 },
      };
    }
    const delivered = succeeded(sent.result);
    const exhausted = !delivered && attempts >= 1 + schedule.length;
    const retryAt =
      delivered || exhausted
        ? row.nextAttemptAt
        : new Date(Math.max(Date.now() + 250, row.createdAt.getTime() + jitter(schedule[attempts - 1]!)));
    const changed = await store.transaction(async (tx) => {
      const updated = await tx
        .update(webhookOutboxTable)
        .set({ attempts, state: delivered ? "DELIVERED" : exhausted ? "FAILED" : "PENDING", nextAttemptAt: retryAt })
        .where(ours)
        .returning({ id: webhookOutboxTable.id });
      // recorded whether or not the lease still held: it did happen
      await recordAttempt(tx, store, attempt, sent);
      return updated.length;
    });
    if (changed === 0) this.options.log.warn({ webhook: webhook.name }, "webhook delivery finished after its lease ran out");
    this.options.log.info(
      { webhook: webhook.name, kind: row.kind, attempt: attempts, status: sent.result.responseCode, delivered, error: sent.result.error },
      "webhook delivery attempt",
    );
  }
}
