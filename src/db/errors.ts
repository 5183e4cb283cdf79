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

/**
 * What a write that a UNIQUE constraint refused should throw: `instead()` (the caller's error
 * naming what is taken) when `error` is a unique violation, `error` itself otherwise. In a
 * catch block: `throw onUniqueViolation(error, () => new ConflictError(…))`.
 */
export function onUniqueViolation(error: unknown, instead: () => Error): unknown {
  return isUniqueViolation(error) ? instead() : error;
}
