import { basename, dirname, extname, join } from "node:path";
import { writeNewSecretFile } from "./lib/secret-file.js";
import { ConflictError } from "./errors.js";
import type { Services } from "./services.js";

/**
 * The files kept beside a database are named after it, so two databases in one directory
 * (data/gatehouse.db and data/demo.db) never share one: `data/gatehouse.admin-token`.
 */
export function besideDatabase(databasePath: string, suffix: string): string {
  const name = basename(databasePath);
  const stem = [".db", ".sqlite", ".sqlite3"].includes(extname(name)) ? name.slice(0, -extname(name).length) : name;
  return join(dirname(databasePath), `${stem}.${suffix}`);
}

/** Where the first start writes the site admin's token for this database (before any number is added). */
export const adminTokenFile = (databasePath: string): string => besideDatabase(databasePath, "admin-token");

/**
 * First start (CONTRACT.md §8): with no users yet, creates the site admin `admin` and writes
 * its token to `<database>.admin-token` beside the database, readable by the owner only. A
 * file already there (an earlier database of that name) is never overwritten: the token goes
 * to the next free name (`….admin-token.2`). Returns the file's path, or null when there was
 * nothing to do. The token itself is never logged.
 */
export async function bootstrapSiteAdmin(services: Services, databasePath: string): Promise<string | null> {
  if ((await services.users.count()) > 0) return null;
  let token;
  try {
    ({ token } = await services.users.create({ login: "admin", name: "Site administrator", siteAdmin: true }));
  } catch (error) {
    // several servers starting together on one PostgreSQL database: another one made it
    if (error instanceof ConflictError) return null;
    throw error;
  }
  return writeNewSecretFile(adminTokenFile(databasePath), `${token.secret}\n`);
}
