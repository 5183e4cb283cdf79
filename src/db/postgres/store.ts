// The store on PostgreSQL: drizzle over a `pg` pool (or PGlite in the tests), the PostgreSQL
// schema's tables under the SQLite schema's names and row types (src/db/store.ts says why).
//
// Transactions are SERIALIZABLE: the read-then-write rules (the last admin of an organization,
// live-token caps, max(version)+1, one running update per stack) hold with many writers
// without a lock per rule, and a transaction that lost a race is run again, from the start, up
// to MAX_ATTEMPTS times (serialization failures 40001 and deadlocks 40P01 only). What must
// happen once it committed goes to afterCommit, which runs for the attempt that committed.
//
// So that a lost race is not lost again and again under contention (fifty clients on one
// stack: measured, a tenth of them ran out of ten optimistic attempts), a transaction that lost
// once runs its next attempts alone: it takes the advisory lock ESCALATED exclusively, for the
// session, before its BEGIN (its snapshot is then taken after every optimistic transaction
// admitted before it has ended), and every first attempt takes the same lock shared, as its
// first statement. Shared holders never wait for each other, so without contention the cost is
// that one statement; correctness never depends on the lock, only liveness does.
// No statement of the root handle may run inside a transaction's callback: on a pool it would
// run on another connection, outside the transaction (and on PGlite wait for it for ever), so
// the root handle's client refuses it.
import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { and, eq, type ExtractTablesWithRelations, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { dueOutboxIds } from "../outbox-claim.js";
import {
  type Db,
  StatementOutsideTransactionError,
  type Store,
  type StoreStats,
  type Tables,
  TransactionConflictError,
  type Tx,
} from "../store.js";
import * as pgSchema from "./schema.js";

export const MAX_ATTEMPTS = 10;

/** The advisory lock key of escalated attempts (see above); distinct from the migration lock's. */
const ESCALATED = 0x4761_7465_0003n;

type PgDb = PgDatabase<PgQueryResultHKT, typeof pgSchema>;
type PgTx = PgTransaction<PgQueryResultHKT, typeof pgSchema, ExtractTablesWithRelations<typeof pgSchema>>;
type OutboxRow = Tables["webhookOutboxTable"]["$inferSelect"];

interface OpenTransaction {
  open: boolean;
  readonly effects: Array<() => void>;
}

/** What a PostgreSQL store runs on: made by ./pool.ts for a server, by test/support/pglite-store.ts for PGlite. */
export interface PostgresConnection {
  /**
   * Drizzle on the connection, for `transaction()`; its plain queries must go through
   * `guardQueries` (see PostgresStore's constructor).
   */
  readonly drizzle: (guard: () => void) => { readonly root: PgDb; readonly transactional: PgDb };
  /**
   * Runs `work` on one connection whose session holds the advisory lock `key` exclusively the
   * whole time (PGlite, one connection: `work` on its own handle, nothing runs beside it anyway).
   */
  exclusively<T>(key: bigint, work: (db: PgDb) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

const RETRYABLE = new Set(["40001", "40P01"]);

/** True when `error` (or a cause of it) is a serialization failure or a deadlock. */
export function isRetryable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (RETRYABLE.has((e as { code?: unknown }).code as string)) return true;
  }
  return false;
}

export class PostgresStore implements Store {
  readonly dialect = "postgres" as const;
  /** The PostgreSQL tables: same names, columns and row types as the SQLite schema's (test/schema-types.test.ts). */
  readonly tables = pgSchema as unknown as Tables;
  readonly db: Db;
  readonly pendingCommits = null;
  readonly changeStamp = null;
  private readonly transactional: PgDb;
  private readonly current = new AsyncLocalStorage<OpenTransaction>();
  private counts = { transactions: 0, retries: 0 };

  constructor(private readonly connection: PostgresConnection) {
    const { root, transactional } = connection.drizzle(() => {
      if (this.current.getStore()?.open) throw new StatementOutsideTransactionError();
    });
    this.db = root as unknown as Db;
    this.transactional = transactional;
  }

  get stats(): StoreStats {
    return { ...this.counts };
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.current.getStore()?.open) {
      throw new Error("store.transaction() inside a transaction: pass the transaction (tx) on instead");
    }
    try {
      return await this.attempt(this.transactional, work, true);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      this.counts.retries++;
    }
    return this.connection.exclusively(ESCALATED, async (alone) => {
      for (let attempt = 2; ; attempt++) {
        try {
          return await this.attempt(alone, work, false);
        } catch (error) {
          if (!isRetryable(error)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw new TransactionConflictError(attempt, error);
          this.counts.retries++;
          // it lost to a transaction admitted before the lock was ours: a short, growing pause
          await sleep(Math.random() * Math.min(50, 2 ** attempt));
        }
      }
    });
  }

  /** One attempt of `work`, SERIALIZABLE; `optimistic`: beside other first attempts (the shared lock). */
  private async attempt<T>(on: PgDb, work: (tx: Tx) => Promise<T>, optimistic: boolean): Promise<T> {
    const state: OpenTransaction = { open: true, effects: [] };
    try {
      const result = await on.transaction(
        async (pgTx) => {
          if (optimistic) await pgTx.execute(sql`select pg_advisory_xact_lock_shared(${ESCALATED.toString()}::bigint)`);
          return this.current.run(state, () => work(asTx(pgTx)));
        },
        { isolationLevel: "serializable" },
      );
      state.open = false;
      this.counts.transactions++;
      for (const effect of state.effects) effect();
      return result;
    } finally {
      state.open = false;
    }
  }

  afterCommit(_tx: Tx, effect: () => void): void {
    const state = this.current.getStore();
    if (!state?.open) throw new Error("afterCommit() outside its transaction");
    state.effects.push(effect);
  }

  async lockUntilCommit(tx: Tx, key: string): Promise<void> {
    await asPg(tx).execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  }

  async claimDueOutbox(now: Date, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    // READ COMMITTED: a row another claimer holds is skipped, one it has claimed meanwhile no
    // longer matches (its next attempt moved past the lease), so two claimers never share a row
    return this.transactional.transaction(
      async (pgTx) => {
        const ids = await dueOutboxIds(asTx(pgTx), this.tables, now, limit);
        if (ids.length === 0) return [];
        const o = pgSchema.webhookOutboxTable;
        const free = pgTx
          .select({ id: o.id })
          .from(o)
          .where(and(inArray(o.id, ids), eq(o.state, "PENDING"), lte(o.nextAttemptAt, now)))
          .for("update", { skipLocked: true });
        return pgTx
          .update(o)
          .set({ nextAttemptAt: new Date(now.getTime() + leaseMs) })
          .where(inArray(o.id, free))
          .returning();
      },
      { isolationLevel: "read committed" },
    );
  }

  async ping(): Promise<void> {
    await this.transactional.execute(sql`select 1`);
  }

  /**
   * One statement on its own (autocommit), on any connection, beside whatever transactions are
   * open: for this dialect's own work outside the services (the fleet's rate-limit counts,
   * ./rate-limit-store.ts). Its rows as the driver returns them.
   */
  async statement<R>(query: SQL): Promise<R[]> {
    // node-postgres and PGlite both answer { rows }
    const result: unknown = await this.transactional.execute(query);
    return (result as { rows: R[] }).rows;
  }

  async close(): Promise<Error | null> {
    await this.connection.end();
    return null;
  }
}

/** A PostgreSQL transaction as the services' handle (the row types are the same: see above). */
const asTx = (pgTx: PgTx) => pgTx as unknown as Tx;
const asPg = (tx: Tx) => tx as unknown as PgTx;
