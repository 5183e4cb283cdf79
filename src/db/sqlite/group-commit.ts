// Group commit (SQLite). With synchronous=FULL every COMMIT waits for an fsync (~130 µs on this
// machine's disk, more than the rest of a small write), and SQLite commits one transaction at
// a time. So the write transactions of all the requests handled in one turn of the event
// loop share one real transaction: each runs in a SAVEPOINT of it (rolled back alone when it
// throws), and one COMMIT, in setImmediate, makes them all durable with one fsync.
//
// Nothing is acknowledged before that COMMIT: a response waits until everything its request
// wrote or read on this connection is committed (`settled`, called by the HTTP layer), and if
// the COMMIT fails, every such response becomes an error. What a client was told is durable.
import type Database from "better-sqlite3";
import type { PendingCommits } from "../store.js";

interface Group {
  readonly seq: number;
  readonly committed: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export class CommitFailedError extends Error {
  constructor(cause: unknown) {
    super("the transaction group this request used could not be committed", { cause });
  }
}

export class GroupCommit implements PendingCommits {
  private open: Group | null = null;
  /** Groups begun so far; the n-th has seq n. */
  private begun = 0;
  /** The seq of the last group whose COMMIT failed; -1: none. */
  private lastFailed = -1;
  private lastFailure: CommitFailedError | null = null;
  /** A ROLLBACK failed: the connection may still be inside the lost group's transaction. */
  private orphaned = false;
  /** Groups rolled back so far: what was read from them may be gone (see DatabaseChangeStamp). */
  private rolledBackGroups = 0;
  /** A step (one store transaction) is running: the COMMIT waits for its end. */
  private stepRunning = false;
  private commitWhenStepEnds: Group | null = null;
  private readonly beginStatement: Database.Statement;
  private readonly commitStatement: Database.Statement;
  private readonly rollbackStatement: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    this.beginStatement = sqlite.prepare("BEGIN IMMEDIATE");
    this.commitStatement = sqlite.prepare("COMMIT");
    this.rollbackStatement = sqlite.prepare("ROLLBACK");
  }

  /**
   * A step of the open group begins (beginning a group if none is open); the caller opens its
   * SAVEPOINT next and calls `endStep` once it is released or rolled back. One step at a time.
   */
  beginStep(): void {
    if (this.open !== null && !this.sqlite.inTransaction) {
      // SQLite rolled the whole transaction back itself (an I/O error, a full disk): the group is lost
      this.fail(this.open, new Error("SQLite rolled back the transaction group"));
    }
    if (this.open === null) {
      this.endOrphanedTransaction();
      this.begin();
    }
    this.stepRunning = true;
  }

  endStep(): void {
    this.stepRunning = false;
    const due = this.commitWhenStepEnds;
    if (due !== null) {
      this.commitWhenStepEnds = null;
      this.commit(due);
    }
  }

  /** Runs `effect` once the open group has committed; never if it is rolled back. */
  onCommitted(effect: () => void): void {
    this.open?.committed.then(effect, () => {});
  }

  /** How many groups were rolled back so far. */
  get rolledBack(): number {
    return this.rolledBackGroups;
  }

  /** The first group a request starting now can see (the open one, else the next): note it then, pass it to `settled`. */
  get sequence(): number {
    return this.open?.seq ?? this.begun + 1;
  }

  /**
   * Null when nothing a request that started at `since` could have seen is still
   * uncommitted; otherwise a promise that resolves once it is committed, or rejects
   * (CommitFailedError) when it was rolled back.
   */
  settled(since: number): Promise<void> | null {
    try {
      if (this.open === null) this.endOrphanedTransaction();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new CommitFailedError(error));
    }
    if (this.lastFailed >= since) return Promise.reject(new CommitFailedError(null));
    return this.open?.committed ?? null;
  }

  /**
   * Commits the open group now (at shutdown, before the connection closes). Returns the
   * error when that COMMIT failed: nobody is waiting for it then, so the caller must say so.
   */
  flush(): CommitFailedError | null {
    const group = this.open;
    if (group === null) return null;
    this.commit(group);
    return this.lastFailed === group.seq ? this.lastFailure : null;
  }

  /**
   * After a failed COMMIT whose ROLLBACK failed too, the connection may still be inside the
   * lost group's transaction: writes made outside a step (lastUsedAt, claims) would join it
   * and never be committed. Roll it back now and count it as a failed group, so the requests
   * that may have written or read in it are refused; throws while it cannot be ended (every
   * write and every response fails then, until a restart).
   */
  private endOrphanedTransaction(): void {
    if (!this.orphaned) return;
    if (this.sqlite.inTransaction) {
      try {
        this.rollbackStatement.run();
      } catch (error) {
        throw new CommitFailedError(error);
      }
    }
    this.orphaned = false;
    this.lastFailed = ++this.begun;
    this.rolledBackGroups++;
  }

  private begin(): void {
    this.beginStatement.run();
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    committed.catch(() => {}); // nobody may be waiting for this group
    const group: Group = { seq: ++this.begun, committed, resolve, reject };
    this.open = group;
    setImmediate(() => this.commit(group));
  }

  private commit(group: Group): void {
    if (this.open !== group) return; // flushed already
    if (this.stepRunning) {
      this.commitWhenStepEnds = group;
      return;
    }
    this.open = null;
    try {
      this.commitStatement.run();
      group.resolve();
    } catch (error) {
      this.fail(group, error);
    }
  }

  private fail(group: Group, error: unknown): void {
    if (this.sqlite.inTransaction) {
      try {
        this.rollbackStatement.run();
      } catch {
        this.orphaned = true; // endOrphanedTransaction() tries again before the next write or response
      }
    }
    if (this.open === group) this.open = null;
    this.lastFailed = group.seq;
    this.rolledBackGroups++;
    this.lastFailure = new CommitFailedError(error);
    group.reject(this.lastFailure);
  }
}
