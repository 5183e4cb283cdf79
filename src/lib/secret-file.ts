import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Writes `content` to a new file readable by its owner only (0600), never replacing one:
 * when `path` exists, the next free `path.2`, `path.3`, … is used. Returns the path written.
 * Its directory is created (0700) when missing: on PostgreSQL no database file made it.
 */
export function writeNewSecretFile(path: string, content: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? path : `${path}.${n}`;
    try {
      writeFileSync(candidate, content, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    chmodSync(candidate, 0o600); // whatever the umask
    return candidate;
  }
}
