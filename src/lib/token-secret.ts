// Access-token secrets (CONTRACT.md §2): a type prefix, 30 random base62 characters and
// 6 base62 characters of CRC32 over the random part, 40 characters in all. The checksum
// lets a typo or a truncated paste be refused before any database work, and lets secret
// scanners recognise our tokens with few false positives.
import { hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { customAlphabet } from "nanoid";

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const TOKEN_PREFIXES = { PERSONAL: "gtp_", ORGANIZATION: "gto_" } as const;
export type TokenKind = keyof typeof TOKEN_PREFIXES;

const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const randomPart = customAlphabet(BASE62, RANDOM_LENGTH);
const SECRET_PATTERN = /^(gtp|gto)_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

function checksum(random: string): string {
  let n = crc32(random);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateSecret(kind: TokenKind): string {
  const random = randomPart();
  return `${TOKEN_PREFIXES[kind]}${random}${checksum(random)}`;
}

/** The token kind when `secret` is well formed and its checksum holds; null otherwise. */
export function parseSecret(secret: string): TokenKind | null {
  const match = SECRET_PATTERN.exec(secret);
  if (!match) return null;
  const [, prefix, random, check] = match;
  if (checksum(random!) !== check) return null;
  return prefix === "gtp" ? "PERSONAL" : "ORGANIZATION";
}

/** What the database stores instead of the secret. */
export function hashSecret(secret: string): string {
  return hash("sha256", secret, "hex"); // one-shot: a third of createHash()'s cost on a short input
}
