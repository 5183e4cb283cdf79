// One attempt of one message to one webhook, recorded as a WebhookDelivery row.
import { Webhook as StandardWebhook } from "standardwebhooks";
import type { DeliveryRow, WebhookRow } from "../../db/rows.js";
import type { Store, Tx } from "../../db/store.js";
import type { SecretBox } from "../../lib/secret-box.js";
import { render, type WebhookEvent } from "./webhook-payloads.js";
import type { SendResult, WebhookSender } from "./webhook-sender.js";

export interface Attempt {
  readonly webhook: WebhookRow;
  readonly event: WebhookEvent;
  readonly messageId: string;
  readonly attempt: number;
  readonly outboxId: number | null;
}

/** Builds, signs and sends one attempt; does not write. */
export async function sendAttempt(
  sender: WebhookSender,
  secrets: SecretBox,
  { webhook, event, messageId }: Attempt,
): Promise<{ headers: Record<string, string>; result: SendResult; sentAt: Date }> {
  const body = JSON.stringify(render(webhook.format, event));
  const sentAt = new Date();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Gatehouse-Webhooks/1.0",
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
  };
  if (webhook.secretCiphertext) {
    const secret = secrets.open(webhook.secretCiphertext, webhook.id);
    headers["webhook-signature"] = new StandardWebhook(secret).sign(messageId, sentAt, body);
  }
  const result = await sender.send(webhook.payloadUrl, body, headers);
  return { headers, result, sentAt };
}

/** 2xx only; a redirect is a failure (never followed). */
export const succeeded = (result: SendResult): boolean =>
  result.responseCode !== null && result.responseCode >= 200 && result.responseCode < 300;

/** Inside the transaction that records the attempt's outcome (`tables`: the store's). */
export async function recordAttempt(
  tx: Tx,
  store: Pick<Store, "tables" | "lockUntilCommit">,
  attempt: Attempt,
  sent: { headers: Record<string, string>; result: SendResult; sentAt: Date },
): Promise<DeliveryRow> {
  const { result } = sent;
  const { tables } = store;
  // a webhook's deliveries are numbered in commit order (several servers deliver at once), so
  // a console paging them by id after the last one it saw misses none
  await store.lockUntilCommit(tx, `deliveries:${attempt.webhook.id}`);
  const [row] = await tx
    .insert(tables.webhookDeliveriesTable)
    .values({
      webhookId: attempt.webhook.id,
      outboxId: attempt.outboxId,
      kind: attempt.event.kind,
      payload: JSON.stringify(attempt.event.payload),
      timestamp: sent.sentAt,
      duration: result.duration,
      requestUrl: attempt.webhook.payloadUrl,
      requestHeaders: sent.headers,
      responseCode: result.responseCode,
      responseHeaders: result.responseHeaders,
      responseBody: result.responseBody,
      error: result.error,
      attempt: attempt.attempt,
    })
    .returning();
  return row!;
}
