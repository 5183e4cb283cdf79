import Database from "better-sqlite3";

/** True when `error` (or its cause) is SQLite refusing a row that breaks a UNIQUE or PRIMARY KEY constraint. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof Database.SqliteError) {
      return e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
    }
  }
  return false;
}
