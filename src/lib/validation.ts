// Input rules shared by every module (CONTRACT.md §2, §3, §6). Each check throws
// BAD_USER_INPUT with a message that says what is allowed, naming the input it checked
// (`field`, its path in the operation's arguments, e.g. "input.name").
import { parseSecret } from "../auth/token-secret.js";
import { BadUserInputError, type FieldPath } from "../errors.js";

const NAME_CHARS = "letters, digits, _ . -";

/** Something shaped like one of our token secrets or a webhook signing secret. */
const SECRET_SHAPED = /gt[po]_[0-9A-Za-z]{20,}|whsec_[A-Za-z0-9+/=]{8,}/;
const EVERY_SECRET_SHAPED = new RegExp(SECRET_SHAPED.source, "g");
const TOKEN_SECRET_CANDIDATE = /gt[po]_[0-9A-Za-z]{36}/g;

/** `text` with anything shaped like a token or webhook secret replaced. */
export const redactSecrets = (text: string): string => text.replace(EVERY_SECRET_SHAPED, "[secret redacted]");

/**
 * A user-given value, fit to quote in an error or an audit description: at most a short
 * prefix, and never a secret someone pasted into the wrong field.
 */
export function quote(value: string): string {
  const redacted = redactSecrets(value);
  const shown = redacted.length > 60 ? `${redacted.slice(0, 60)}…` : redacted;
  return JSON.stringify(shown);
}

function checkPattern(what: string, value: string, pattern: RegExp, rule: string, field: FieldPath): string {
  if (!pattern.test(value)) throw new BadUserInputError(`invalid ${what} ${quote(value)}: use ${rule}`, { field });
  // A 40-character token secret is a valid name: refuse it rather than store and show it.
  if (SECRET_SHAPED.test(value)) {
    throw new BadUserInputError(`invalid ${what}: it looks like an access token secret; pick another name`, { field });
  }
  return value;
}

/** User logins, organization, team and organization token names: 1–40 of [A-Za-z0-9_.-]. */
export const checkName = (what: string, value: string, field: FieldPath): string =>
  checkPattern(what, value, /^[A-Za-z0-9_.-]{1,40}$/, `1–40 ${NAME_CHARS}`, field);

/** Stack and project names: 1–100 of [A-Za-z0-9_.-]. */
export const checkStackName = (what: string, value: string, field: FieldPath): string =>
  checkPattern(what, value, /^[A-Za-z0-9_.-]{1,100}$/, `1–100 ${NAME_CHARS}`, field);

/** Webhook names: 1–32 of [A-Za-z0-9._-]. */
export const checkWebhookName = (value: string, field: FieldPath): string =>
  checkPattern("webhook name", value, /^[A-Za-z0-9_.-]{1,32}$/, `1–32 ${NAME_CHARS}`, field);

/** Free text shown to people (display names, descriptions): bounded, no control characters. */
export function checkText(what: string, value: string, max: number, field: FieldPath, { allowEmpty = true } = {}): string {
  if (!allowEmpty && value.trim() === "") throw new BadUserInputError(`${what} must not be empty`, { field });
  if (value.length > max) throw new BadUserInputError(`${what} is too long: at most ${max} characters`, { field });
  // A working token secret pasted into free text would be stored and shown: refuse it.
  for (const [candidate] of value.matchAll(TOKEN_SECRET_CANDIDATE)) {
    if (parseSecret(candidate)) throw new BadUserInputError(`${what} holds an access token secret: remove it`, { field });
  }
  // Tabs and line breaks are fine in descriptions; other control characters are not.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
    throw new BadUserInputError(`${what} must not contain control characters`, { field });
  }
  return value;
}

export function checkEmail(value: string, field: FieldPath): string {
  if (value.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new BadUserInputError(`invalid email ${quote(value)}`, { field });
  }
  return value;
}

/** A token expiry: in the future and at most two years away; null or undefined: never expires. */
export function checkExpiry(expiresAt: Date | null | undefined, field: FieldPath, now: number = Date.now()): Date | null {
  if (expiresAt === null || expiresAt === undefined) return null;
  const at = expiresAt.getTime();
  if (Number.isNaN(at)) throw new BadUserInputError("expiresAt is not a valid date", { field });
  if (at <= now) throw new BadUserInputError("expiresAt must be in the future", { field });
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + 2);
  if (at > limit.getTime()) {
    throw new BadUserInputError(`expiresAt must be at most two years away (before ${limit.toISOString()})`, { field });
  }
  return expiresAt;
}
