// What a delivery carries. RAW is the event itself (JSON); SLACK and MS_TEAMS render the
// same event as a readable message in those services' incoming-webhook shapes.
import type { OrganizationRow, StackRow, UpdateRow } from "../../db/rows.js";
import type { Caller } from "../../auth/principal.js";
import type { WebhookFormatValue } from "../../db/schema.js";
import type { WebhookEventKind } from "./webhook-rules.js";

export interface WebhookEvent {
  readonly kind: WebhookEventKind;
  readonly payload: Record<string, unknown>;
}

function actorOf(caller: Caller) {
  const { principal } = caller;
  if (principal.kind === "USER") return { kind: "USER", login: principal.user.login, name: principal.user.name };
  if (principal.kind === "ORGANIZATION_TOKEN") return { kind: "ORGANIZATION_TOKEN", tokenName: principal.token.name };
  return { kind: principal.kind };
}

const organizationOf = (o: OrganizationRow) => ({ id: o.id, name: o.name, displayName: o.displayName });
const stackOf = (o: OrganizationRow, s: StackRow) => ({
  id: s.id,
  project: s.project,
  name: s.name,
  fullyQualifiedName: `${o.name}/${s.project}/${s.name}`,
});

/** Every event's payload starts the same: its kind, when it happened, its organization; then `fields`. */
function envelope(kind: WebhookEventKind, organization: OrganizationRow, fields: Record<string, unknown>): WebhookEvent {
  return { kind, payload: { kind, timestamp: new Date().toISOString(), organization: organizationOf(organization), ...fields } };
}

export function stackEvent(
  kind: "stack_created" | "stack_deleted",
  caller: Caller,
  organization: OrganizationRow,
  stack: StackRow,
): WebhookEvent {
  return envelope(kind, organization, { stack: stackOf(organization, stack), actor: actorOf(caller) });
}

/** `<kind>_succeeded` or `<kind>_failed` (a cancelled update counts as failed; `result` says which). */
export function updateEvent(
  caller: Caller,
  organization: OrganizationRow,
  stack: StackRow,
  update: UpdateRow,
  resourceCount: number,
): WebhookEvent {
  const kind = `${update.kind.toLowerCase()}_${update.status === "SUCCEEDED" ? "succeeded" : "failed"}` as WebhookEventKind;
  return envelope(kind, organization, {
    stack: { ...stackOf(organization, stack), resourceCount },
    actor: actorOf(caller),
    update: {
      id: update.id,
      version: update.version,
      kind: update.kind,
      result: update.status.toLowerCase(),
      message: update.message,
      startedAt: update.startedAt.toISOString(),
      endedAt: update.endedAt?.toISOString() ?? null,
      requestedBy: update.requestedBy,
      resourceChanges: update.resourceChanges,
    },
  });
}

export function pingEvent(organization: OrganizationRow, webhookName: string): WebhookEvent {
  return envelope("ping", organization, {
    webhook: { name: webhookName },
    message: "A ping from Gatehouse: this webhook is reachable.",
  });
}

/** What a chat line reads of an event's payload (RAW payloads, as built above). */
interface PayloadView {
  readonly stack?: { readonly fullyQualifiedName?: string };
  readonly actor?: { readonly login?: string | null; readonly tokenName?: string | null };
  readonly webhook?: { readonly name?: string };
  readonly organization?: { readonly name?: string };
  readonly update?: {
    readonly kind?: string;
    readonly version?: number;
    readonly result?: string;
    readonly requestedBy?: string;
    readonly resourceChanges?: {
      readonly create: number;
      readonly update: number;
      readonly delete: number;
      readonly replace: number;
    } | null;
  };
}

/** One line a person reads in a chat. */
export function summarize(event: WebhookEvent): string {
  const p = event.payload as PayloadView;
  const stack = p.stack?.fullyQualifiedName;
  const actor = p.actor?.login ?? p.actor?.tokenName ?? "someone";
  if (event.kind === "ping") return `Ping from Gatehouse for webhook "${p.webhook?.name}" of ${p.organization?.name}`;
  if (event.kind === "stack_created") return `Stack ${stack} was created by ${actor}`;
  if (event.kind === "stack_deleted") return `Stack ${stack} was deleted by ${actor}`;
  const u: NonNullable<PayloadView["update"]> = p.update ?? {};
  const changes = u.resourceChanges
    ? ` (+${u.resourceChanges.create} ~${u.resourceChanges.update} -${u.resourceChanges.delete} ±${u.resourceChanges.replace})`
    : "";
  return `${String(u.kind).toLowerCase()} #${u.version} of ${stack} ${u.result}${changes}, started by ${u.requestedBy}`;
}

/** The request body for a webhook of `format`. */
export function render(format: WebhookFormatValue, event: WebhookEvent): Record<string, unknown> {
  if (format === "RAW") return event.payload;
  const text = summarize(event);
  if (format === "SLACK") {
    return {
      text,
      blocks: [{ type: "section", text: { type: "mrkdwn", text: `*Gatehouse* · \`${event.kind}\`\n${text}` } }],
    };
  }
  // MS_TEAMS: an Adaptive Card message, the shape Teams incoming webhooks (Workflows) accept.
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: `Gatehouse: ${event.kind}`, weight: "Bolder", size: "Medium" },
            { type: "TextBlock", text, wrap: true },
          ],
        },
      },
    ],
  };
}
