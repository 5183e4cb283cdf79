// The server key (32 bytes) protects data at rest and what the server hands out to be
// handed back: webhook secrets (AES-256-GCM) and pagination cursors (HMAC). It comes from
// SECRET_KEY, or from a key file created beside the database on first start (mode 0600).
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const KEY_FILE_NAME = "secret.key";

export function loadServerKey(secretKey: Buffer | null, databasePath: string): Buffer {
  if (secretKey) return secretKey;
  if (databasePath === ":memory:") return randomBytes(32);
  const file = join(dirname(databasePath), KEY_FILE_NAME);
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  }
  chmodSync(file, 0o600);
  const hex = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error(`${file} does not hold a 64-hex-character key: restore it from a backup, or set SECRET_KEY`);
  }
  return Buffer.from(hex, "hex");
}

/** A key for one purpose, derived from the server key, so no two uses share a key. */
export function deriveKey(serverKey: Buffer, purpose: string): Buffer {
  return createHmac("sha256", serverKey).update(`gatehouse:${purpose}`).digest();
}
