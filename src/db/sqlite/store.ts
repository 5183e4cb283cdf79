// The store on SQLite: drizzle's sqlite-proxy (asynchronous, the query API the services use)
// over one better-sqlite3 connection, whose statements are prepared once per SQL text.
//
// Transactions are asynchronous, and two interleaved on the one connection would lose writes
// (a SAVEPOINT sequence of one inside the other's), so they run one at a time, in the order
// they were asked for. A statement on `store.db` (another request's read, lastUsedAt) waits
// while a transaction's step is open: run inside it, it would see rows the step may still roll
// back, or be rolled back with it. (What committed steps of the open group wrote is visible to
// it, as before the port: the response waits for the group's COMMIT, src/http/durable-responses.ts.) In the server (`groupCommit: true`) each is a SAVEPOINT step of the
// open group (./group-commit.ts); elsewhere (CLI, scripts) a BEGIN IMMEDIATE … COMMIT of its own.
import { AsyncLocalStorage } from "node:async_hooks";
import type Database from "better-sqlite3";
import { and, eq, inArray, lte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { dueOutboxIds } from "../outbox-claim.js";
import * as schema from "../schema.js";
import { type Db, StatementOutsideTransactionError, type Store, type StoreStats, type Tables, type Tx } from "../store.js";
import { DatabaseChangeStamp } from "./change-stamp.js";
import { type OpenSqliteOptions, openSqlite } from "./connection.js";
import { GroupCommit } from "./group-commit.js";
import { StatementCache } from "./statements.js";

export interface SqliteStoreOptions extends OpenSqliteOptions {
  /** Write transactions share their COMMITs (the server); otherwise each commits alone. */
  readonly groupCommit?: boolean;
}

interface OpenTransaction {
  open: boolean;
  readonly effects: Array<() => void>;
}

type OutboxRow = Tables["webhookOutboxTable"]["$inferSelect"];

export class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly tables: Tables = schema;
  readonly db: Db;
  readonly pendingCommits: GroupCommit | null;
  readonly changeStamp: DatabaseChangeStamp;
  private readonly txHandle: Tx;
  private readonly current = new AsyncLocalStorage<OpenTransaction>();
  /** The end of the last transaction asked for: the next one starts after it. */
  private queue: Promise<void> = Promise.resolve();
  private counts = { transactions: 0, retries: 0 };
  /** Resolves when the open step ends; null while none is open. */
  private stepOpen: Promise<void> | null = null;
  private closed = false;

  /** Opens the file (see openSqlite); or wraps a connection opened already. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(openSqlite(path, options), options);
  }

  constructor(
    readonly connection: Database.Database,
    options: { readonly groupCommit?: boolean } = {},
  ) {
    const statements = new StatementCache(connection);
    this.pendingCommits = options.groupCommit ? new GroupCommit(connection) : null;
    this.changeStamp = new DatabaseChangeStamp(connection, this.pendingCommits);
    this.db = drizzle(
      async (text, params, method) => {
        if (this.current.getStore()?.open) throw new StatementOutsideTransactionError();
        // no await between this check and the (synchronous) statement: it runs between steps
        while (this.stepOpen !== null) await this.stepOpen;
        return statements.execute(text, params, method);
      },
      { schema },
    );
    this.txHandle = drizzle(
      async (text, params, method) => {
        if (!this.current.getStore()?.open) throw new Error("a transaction's handle (tx) was used after its transaction ended");
        return statements.execute(text, params, method);
      },
      { schema },
    ) as Tx;
  }

  get stats(): StoreStats {
    return { ...this.counts };
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.current.getStore()?.open) {
      return Promise.reject(new Error("store.transaction() inside a transaction: pass the transaction (tx) on instead"));
    }
    const run = this.queue.then(() => this.runTransaction(work));
    this.queue = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async runTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error("the store is closed");
    const state: OpenTransaction = { open: true, effects: [] };
    const groups = this.pendingCommits;
    const sqlite = this.connection;
    let endStep!: () => void;
    this.stepOpen = new Promise<void>((resolve) => (endStep = resolve));
    if (groups) {
      groups.beginStep();
      sqlite.exec("SAVEPOINT step");
    } else {
      sqlite.exec("BEGIN IMMEDIATE");
    }
    try {
      const result = await this.current.run(state, () => work(this.txHandle));
      state.open = false;
      if (groups) {
        sqlite.exec("RELEASE step");
        for (const effect of state.effects) groups.onCommitted(effect);
      } else {
        sqlite.exec("COMMIT");
        for (const effect of state.effects) effect();
      }
      this.counts.transactions++;
      return result;
    } catch (error) {
      state.open = false;
      // SQLite may have rolled the whole transaction back itself (an I/O error, a full disk)
      if (sqlite.inTransaction) sqlite.exec(groups ? "ROLLBACK TO step; RELEASE step" : "ROLLBACK");
      throw error;
    } finally {
      groups?.endStep();
      this.stepOpen = null;
      endStep();
    }
  }

  afterCommit(tx: Tx, effect: () => void): void {
    const state = this.current.getStore();
    if (!state?.open || tx !== this.txHandle) throw new Error("afterCommit() outside its transaction");
    state.effects.push(effect);
  }

  async lockUntilCommit(): Promise<void> {
    // one writer: every transaction already runs alone
  }

  async claimDueOutbox(now: Date, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    const o = this.tables.webhookOutboxTable;
    // nothing due (most polls): one index lookup (webhook_outbox_due_idx), no write transaction — which would take the file's
    // write lock on every poll, and in the server hold a transaction group open until the
    // next turn of the event loop
    const [due] = await this.db
      .select({ id: o.id })
      .from(o)
      .where(and(eq(o.state, "PENDING"), lte(o.nextAttemptAt, now)))
      .limit(1);
    if (due === undefined) return [];
    // one transaction: no other connection writes between the choice and the claim
    return this.transaction(async (tx) => {
      const ids = await dueOutboxIds(tx, this.tables, now, limit);
      if (ids.length === 0) return [];
      return tx
        .update(o)
        .set({ nextAttemptAt: new Date(now.getTime() + leaseMs) })
        .where(inArray(o.id, ids))
        .returning();
    });
  }

  async ping(): Promise<void> {
    this.connection.prepare("select 1").get();
  }

  async close(): Promise<Error | null> {
    await this.queue;
    this.closed = true;
    const lost = this.pendingCommits?.flush() ?? null;
    this.connection.close();
    return lost;
  }
}
