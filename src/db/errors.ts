import Database from "better-sqlite3";

/** PostgreSQL's SQLSTATE for a unique violation (primary keys included). */
const PG_UNIQUE_VIOLATION = "23505";

/**
 * True when `error` (or a cause of it: drizzle wraps the driver's error) is the database refusing
 * a row that breaks a UNIQUE or PRIMARY KEY constraint, on SQLite or PostgreSQL.
 */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof Database.SqliteError) {
      return e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
    }
    if ((e as { code?: unknown }).code === PG_UNIQUE_VIOLATION) return true;
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
