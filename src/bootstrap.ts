import { chmodSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Services } from "./services.js";

export const ADMIN_TOKEN_FILE = "admin-token";

/**
 * First start (CONTRACT.md §8): with no users yet, creates the site admin `admin` and writes
 * its token to `admin-token` beside the database, readable by the owner only. Returns the
 * file's path, or null when there was nothing to do. The token itself is never logged.
 */
export function bootstrapSiteAdmin(services: Services, databasePath: string): string | null {
  if (services.users.count() > 0) return null;
  const { token } = services.users.create({ login: "admin", name: "Site administrator", siteAdmin: true });
  const file = join(dirname(databasePath), ADMIN_TOKEN_FILE);
  writeFileSync(file, `${token.secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
