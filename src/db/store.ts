// The one data-layer interface the services use, on SQLite and on PostgreSQL alike: reads on
// `store.db`, writes in `store.transaction(async (tx) => …)`. Services never import a dialect
// module (src/db/sqlite/, src/db/postgres/); src/db/open-store.ts picks one.
//
// The query API is drizzle's, typed as its asynchronous SQLite database over the SQLite schema;
// on PostgreSQL the handle is drizzle's node-postgres (or PGlite) database over the PostgreSQL
// schema, whose tables have the same names and the same row types (test/schema-types.test.ts).
// So a service takes its tables from the store (`store.tables`), never from a schema module,
// and uses only what both query builders have: `await` on a select, insert, update or delete,
// `.returning()`, `onConflictDoNothing/Update`, the operators of drizzle-orm. SQLite-only calls
// (`.get()`, `.all()`, `.run()`, `.values()`, `.prepare()`, raw `db.all(sql…)`) are refused
// by the lint rule of test/lint/eslint.config.js; what differs between the dialects is a
// method of the store (`claimDueOutbox`, `lockUntilCommit`).
import type { SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import type * as schema from "./schema.js";

export type Dialect = "sqlite" | "postgres";

/** The tables (and their relations), by their names in src/db/schema.ts. */
export type Tables = typeof schema;

/** A query handle: reads on `store.db`, or the statements of one transaction (`Tx`). */
export type Db = SqliteRemoteDatabase<Tables>;

declare const ofOneTransaction: unique symbol;
/**
 * The handle of one open transaction. Only a store makes one (the brand cannot be written
 * elsewhere), so a function that takes a `Tx` — the audit writer, the outbox — can only be
 * called inside the transaction whose change it records.
 */
export type Tx = Db & { readonly [ofOneTransaction]: true };

/** A statement ran on `store.db` inside a transaction's callback: it would not be part of the transaction. */
export class StatementOutsideTransactionError extends Error {
  constructor() {
    super("a statement ran on store.db inside store.transaction(): use the transaction's handle (tx)");
  }
}

/** The transaction could not commit after its retries (PostgreSQL: serialization failures, deadlocks). */
export class TransactionConflictError extends Error {
  constructor(attempts: number, cause: unknown) {
    super(`the transaction conflicted with concurrent ones ${attempts} times`, { cause });
  }
}

/**
 * SQLite's group commit, seen from the HTTP layer: a response waits until what its request
 * wrote or read is committed (src/db/sqlite/group-commit.ts). PostgreSQL commits each
 * transaction before it returns, so it has none.
 */
export interface PendingCommits {
  /** Note it when a request arrives; pass it to `settled`. */
  readonly sequence: number;
  /** Null when nothing a request that arrived at `since` could have seen is uncommitted; else when it is. */
  settled(since: number): Promise<void> | null;
}

/** Tells, exactly, whether anything in the database may have changed since the last call (SQLite only). */
export interface ChangeStamp {
  changedSinceLastLook(): boolean;
}

export interface StoreStats {
  readonly transactions: number;
  /** Attempts run again after a serialization failure or deadlock (PostgreSQL). */
  readonly retries: number;
}

export interface Store {
  readonly dialect: Dialect;
  readonly tables: Tables;
  /**
   * Reads outside a transaction. Inside a transaction's callback a statement on it fails with
   * StatementOutsideTransactionError (drizzle reports it as the cause of its "Failed query").
   */
  readonly db: Db;
  /**
   * Runs `work` as one all-or-nothing transaction. On PostgreSQL it is SERIALIZABLE and run
   * again (up to a bound) after a serialization failure or a deadlock, so `work` must have no
   * side effect but its statements: anything to do once it committed goes to `afterCommit`.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `effect` once, after the transaction of `tx` committed (never when it rolls back or is retried). */
  afterCommit(tx: Tx, effect: () => void): void;
  /**
   * Holds the named lock until the transaction ends: the transactions that take the same key
   * run one after the other from this point (PostgreSQL: an advisory transaction lock; SQLite:
   * nothing to do, it has one writer).
   */
  lockUntilCommit(tx: Tx, key: string): Promise<void>;
  /**
   * Due outbox rows claimed for `leaseMs` (their next attempt moved past the lease), round-robin
   * across organizations, at most `limit`. Two claimers never get the same row.
   */
  claimDueOutbox(now: Date, leaseMs: number, limit: number): Promise<Array<Tables["webhookOutboxTable"]["$inferSelect"]>>;
  /** SQLite's group commit; null on PostgreSQL. */
  readonly pendingCommits: PendingCommits | null;
  /** SQLite: an exact change stamp, for the token cache; null on PostgreSQL (no cross-request cache there). */
  readonly changeStamp: ChangeStamp | null;
  readonly stats: StoreStats;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** Commits what is pending and closes the connections; an error when a last commit failed. */
  close(): Promise<Error | null>;
}
