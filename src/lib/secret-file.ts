import { chmodSync, writeFileSync } from "node:fs";

/**
 * Writes `content` to a new file readable by its owner only (0600), never replacing one:
 * when `path` exists, the next free `path.2`, `path.3`, … is used. Returns the path written.
 */
export function writeNewSecretFile(path: string, content: string): string {
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
