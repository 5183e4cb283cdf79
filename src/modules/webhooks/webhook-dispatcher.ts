// Delivers the outbox in the background. A due row is claimed with a lease (so another
// server sharing the database, or this one after a crash, retries it only once the lease
// has run out), sent, and its attempt recorded with the row's new state in one transaction.
// Failures retry at about the configured delays after the first attempt, with ±20% jitter.
import { and, eq, inArray, min, sql } from "drizzle-orm";
import type { FastifyBaseLogger } from "fastify";
import { type Db, writeTransaction } from "../../db/client.js";
import type { GroupCommit } from "../../db/group-commit.js";
import type { OutboxRow } from "../../db/rows.js";
import { webhookOutboxTable, webhooksTable } from "../../db/schema.js";
import type { SecretBox } from "../../lib/secret-box.js";
import { type Attempt, recordAttempt, sendAttempt, succeeded } from "./webhook-delivery.js";
import type { WebhookEvent } from "./webhook-payloads.js";
import type { WebhookSender } from "./webhook-sender.js";

export interface DispatcherOptions {
  readonly db: Db;
  readonly sender: WebhookSender;
  readonly secrets: SecretBox;
  /** Delays after the first attempt; attempts in all = 1 + its length. */
  readonly schedule: readonly number[];
  readonly timeoutMs: number;
  readonly log: FastifyBaseLogger;
  readonly pollMs?: number;
  /** The server's group commit: nothing is sent before what it was claimed with is committed. */
  readonly commits?: GroupCommit;
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
      const since = this.options.commits?.sequence ?? 0;
      const claimed = this.claim();
      if (claimed.length === 0) break;
      // the rows (and the change that queued them) must be durable before a receiver hears of them;
      // if their group was rolled back, so were the claims: they are retried later
      await this.options.commits?.settled(since);
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

  /**
   * Claims due rows, fairly: round-robin across organizations (every organization's oldest
   * due row before any organization's second), so one organization's slow or failing
   * receivers cannot hold every slot.
   */
  private claim(): OutboxRow[] {
    const { db, timeoutMs } = this.options;
    const now = Date.now();
    const due = db.all<{ id: number }>(sql`
      select id from (
        select o.id, o.next_attempt_at,
               row_number() over (partition by w.organization_id order by o.next_attempt_at, o.id) as turn
        from ${webhookOutboxTable} o join ${webhooksTable} w on w.id = o.webhook_id
        where o.state = 'PENDING' and o.next_attempt_at <= ${now}
      ) order by turn, next_attempt_at limit ${this.options.concurrency ?? 8}`);
    if (due.length === 0) return [];
    const rows = db
      .select()
      .from(webhookOutboxTable)
      .where(
        inArray(
          webhookOutboxTable.id,
          due.map((d) => d.id),
        ),
      )
      .all();
    const lease = new Date(now + timeoutMs + 5000);
    return rows
      .filter(
        (row) =>
          db
            .update(webhookOutboxTable)
            .set({ nextAttemptAt: lease })
            .where(and(eq(webhookOutboxTable.id, row.id), eq(webhookOutboxTable.nextAttemptAt, row.nextAttemptAt)))
            .run().changes === 1,
      )
      .map((row) => ({ ...row, nextAttemptAt: lease }));
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { db, sender, secrets, schedule } = this.options;
    // every write below is conditional on our lease: a worker whose lease ran out changes nothing
    const ours = and(eq(webhookOutboxTable.id, row.id), eq(webhookOutboxTable.nextAttemptAt, row.nextAttemptAt));
    const webhook = db.select().from(webhooksTable).where(eq(webhooksTable.id, row.webhookId)).get();
    if (!webhook || !webhook.active) {
      // deactivated after the event was queued: it receives nothing
      db.update(webhookOutboxTable).set({ state: "FAILED" }).where(ours).run();
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
    writeTransaction(db, (tx) => {
      const changed = tx
        .update(webhookOutboxTable)
        .set({ attempts, state: delivered ? "DELIVERED" : exhausted ? "FAILED" : "PENDING", nextAttemptAt: retryAt })
        .where(ours)
        .run().changes;
      // recorded whether or not the lease still held: it did happen
      recordAttempt(tx, attempt, sent);
      if (changed === 0) this.options.log.warn({ webhook: webhook.name }, "webhook delivery finished after its lease ran out");
    });
    this.options.log.info(
      { webhook: webhook.name, kind: row.kind, attempt: attempts, status: sent.result.responseCode, delivered, error: sent.result.error },
      "webhook delivery attempt",
    );
  }
}
