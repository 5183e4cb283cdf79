// Webhook input rules (CONTRACT.md §6).
import { BadUserInputError, type FieldPath } from "../../errors.js";
import { holdsTokenSecret, quote } from "../../lib/validation.js";

export const WEBHOOK_EVENT_KINDS = [
  "stack_created",
  "stack_deleted",
  "update_succeeded",
  "update_failed",
  "preview_succeeded",
  "preview_failed",
  "destroy_succeeded",
  "destroy_failed",
  "refresh_succeeded",
  "refresh_failed",
  "import_succeeded",
  "import_failed",
] as const;
export type WebhookEventKind = (typeof WEBHOOK_EVENT_KINDS)[number] | "ping";

const MAX_URL_LENGTH = 2048;

/**
 * An http(s) URL with a host and no credentials. Where it points is checked at delivery
 * (the SSRF guard), not here: creating a webhook accepts any http(s) URL.
 */
export function checkPayloadUrl(value: string, field: FieldPath): string {
  const refuse = (message: string) => new BadUserInputError(message, { field });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse(`payloadUrl ${quote(value)} is not a URL: use http(s)://host/path`);
  }
  if (value.length > MAX_URL_LENGTH) throw refuse(`payloadUrl is longer than ${MAX_URL_LENGTH} characters`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refuse("payloadUrl must start with http:// or https://");
  }
  if (url.hostname === "") throw refuse("payloadUrl needs a host");
  if (url.username !== "" || url.password !== "") {
    throw refuse("payloadUrl must not hold credentials: use a signing secret to authenticate deliveries");
  }
  if (url.hash !== "") throw refuse("payloadUrl must not have a #fragment");
  // a working access token pasted into a URL would be sent to the receiver with every event
  if (holdsTokenSecret(value) || holdsTokenSecret(decoded(value))) {
    throw refuse("payloadUrl holds an access token secret: remove it (authenticate deliveries with a signing secret)");
  }
  return url.toString();
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Standard Webhooks form: whsec_ + base64 of 24–64 random bytes. */
export function checkSigningSecret(value: string, field: FieldPath): string {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
  const bytes = match ? Buffer.from(match[1]!, "base64") : null;
  if (!match || !bytes || bytes.toString("base64") !== match[1] || bytes.length < 24 || bytes.length > 64) {
    throw new BadUserInputError(
      "secret must be whsec_ followed by the base64 of 24 to 64 random bytes, e.g. whsec_$(openssl rand -base64 32)",
      { field },
    );
  }
  return value;
}

export function checkFilters(filters: readonly string[], field: FieldPath): string[] {
  const at = filters.findIndex((f) => !(WEBHOOK_EVENT_KINDS as readonly string[]).includes(f));
  if (at !== -1) {
    throw new BadUserInputError(`unknown filter ${quote(filters[at]!)}: use ${WEBHOOK_EVENT_KINDS.join(", ")}`, {
      field: `${field}[${at}]`,
    });
  }
  return [...new Set(filters)];
}

/** Whether a webhook with these filters receives `kind` (pings always go). */
export const wants = (filters: readonly string[], kind: string): boolean =>
  kind === "ping" || filters.length === 0 || filters.includes(kind);
