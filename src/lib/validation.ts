// Input rules shared by every module (CONTRACT.md §2, §3, §6). Each check throws
// BAD_USER_INPUT with a message that says what is allowed, naming the input it checked
// (`field`, its path in the operation's arguments, e.g. "input.name").
import { parseSecret } from "./token-secret.js";
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

/** Whether `value` holds something that is a token secret (its checksum passes), anywhere in it. */
export function holdsTokenSecret(value: string): boolean {
  for (const [candidate] of value.matchAll(TOKEN_SECRET_CANDIDATE)) if (parseSecret(candidate)) return true;
  return false;
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

/**
 * Characters that change how text around them is shown without showing themselves: the
 * bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks
 * (U+200E, U+200F, U+061C), which can make "gpj.exe" read as "exe.jpg"; the zero-width space,
 * word joiner and invisible operators (U+200B, U+2060–U+2064), the BOM (U+FEFF), the soft
 * hyphen (U+00AD), U+180E; and the blank "letters" used to fake empty names (Hangul fillers
 * U+115F, U+1160, U+3164, U+FFA0; Braille blank U+2800). The zero-width (non-)joiners U+200C
 * and U+200D stay allowed: Persian, Indic scripts and emoji sequences need them.
 */
const INVISIBLE = /[\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u2800\u3164\ufeff\uffa0]/;
/** Something a reader sees: not only spaces and joiners. */
const VISIBLE = /[^\s\u200c\u200d]/;

/** Free text shown to people (display names, descriptions): bounded, no control or invisible characters. */
export function checkText(what: string, value: string, max: number, field: FieldPath, { allowEmpty = true } = {}): string {
  if (!allowEmpty && value.trim() === "") throw new BadUserInputError(`${what} must not be empty`, { field });
  if (value.length > max) throw new BadUserInputError(`${what} is too long: at most ${max} characters`, { field });
  // A working token secret pasted into free text would be stored and shown: refuse it.
  if (holdsTokenSecret(value)) throw new BadUserInputError(`${what} holds an access token secret: remove it`, { field });
  // Tabs and line breaks are fine in descriptions; other control characters are not.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
    throw new BadUserInputError(`${what} must not contain control characters`, { field });
  }
  const invisible = INVISIBLE.exec(value);
  if (invisible) {
    const code = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    throw new BadUserInputError(`${what} must not contain invisible or text-direction characters (U+${code})`, { field });
  }
  if (!allowEmpty && !VISIBLE.test(value)) throw new BadUserInputError(`${what} must not be empty`, { field });
  return value;
}

/** A display name (organizations, teams, webhooks): 1–100 characters of free text, trimmed. */
export const checkDisplayName = (value: string): string =>
  checkText("displayName", value, 100, "input.displayName", { allowEmpty: false }).trim();

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
