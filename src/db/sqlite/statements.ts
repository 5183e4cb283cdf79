// What sqlite-proxy's callback runs: each SQL text prepared once on the connection and kept
// (drizzle builds the same text for the same query shape), rows returned as arrays as the
// proxy expects.
import type Database from "better-sqlite3";

type Method = "run" | "all" | "values" | "get";

/** Statements kept at most; past it the oldest prepared is dropped (queries built with many values, e.g. IN lists). */
const MAX_STATEMENTS = 2_000;

export class StatementCache {
  private readonly prepared = new Map<string, Database.Statement<unknown[]>>();

  constructor(private readonly sqlite: Database.Database) {}

  execute(text: string, params: unknown[], method: Method): Promise<{ rows: unknown[] }> {
    try {
      const statement = this.statement(text);
      if (method === "run" || !statement.reader) {
        statement.run(...params);
        return Promise.resolve({ rows: [] });
      }
      if (method === "get") return Promise.resolve({ rows: statement.raw(true).get(...params) as unknown[] });
      return Promise.resolve({ rows: statement.raw(true).all(...params) });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private statement(text: string): Database.Statement<unknown[]> {
    let statement = this.prepared.get(text);
    if (statement === undefined) {
      statement = this.sqlite.prepare<unknown[]>(text);
      if (this.prepared.size >= MAX_STATEMENTS) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(text, statement);
    }
    return statement;
  }
}
