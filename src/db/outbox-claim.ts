// The outbox rows due now, in the order they are claimed: round-robin across organizations
// (every organization's oldest due row before any organization's second), so one organization's
// slow or failing receivers cannot hold every slot. The same query on both dialects; each store
// claims the ids it returns in its own way (src/db/sqlite/store.ts, src/db/postgres/store.ts).
import { and, eq, lte, sql } from "drizzle-orm";
import type { Db, Tables } from "./store.js";

export async function dueOutboxIds(q: Db, tables: Tables, now: Date, limit: number): Promise<number[]> {
  const { webhookOutboxTable: o, webhooksTable: w } = tables;
  const turns = q
    .select({
      id: o.id,
      nextAttemptAt: o.nextAttemptAt,
      turn: sql<number>`row_number() over (partition by ${w.organizationId} order by ${o.nextAttemptAt}, ${o.id})`.as("turn"),
    })
    .from(o)
    .innerJoin(w, eq(w.id, o.webhookId))
    .where(and(eq(o.state, "PENDING"), lte(o.nextAttemptAt, now)))
    .as("turns");
  const due = await q
    .select({ id: turns.id })
    .from(turns)
    .orderBy(sql`${turns.turn}`, turns.nextAttemptAt, turns.id)
    .limit(limit);
  return due.map((row) => row.id);
}
