import type Database from "better-sqlite3";
import type { ChangeStamp } from "../store.js";
import type { GroupCommit } from "./group-commit.js";

/**
 * How long a commit by another connection may go unseen at most, when a turn of the event
 * loop runs longer than this (many requests read in one poll phase, or a check-phase
 * callback that pushes the next look past a whole poll phase).
 */
export const OTHER_CONNECTIONS_LOOK_EVERY_MS = 1;

/**
 * Tells whether anything in the database changed since the last look, without a TTL:
 * - `total_changes()` moves when this connection writes (read on every look, 0.1 µs);
 * - the group commit's rollback count moves when a group this connection wrote (and may have
 *   read uncommitted rows from) is rolled back, which `total_changes()` does not undo;
 * - `PRAGMA data_version` moves when another connection commits — another server process,
 *   the admin CLI. It costs a read transaction (~1.5 µs alone, ~3 µs per request in the
 *   middle of the server's work), so it is read once per turn of the event loop and at least
 *   every OTHER_CONNECTIONS_LOOK_EVERY_MS: the requests handled in one turn were read off
 *   their sockets together, so a commit elsewhere is seen by every request that arrives
 *   after it, give or take the turn in progress and never more than a millisecond.
 * A change that is rolled back still counts, which only errs on the side of "changed".
 */
export class DatabaseChangeStamp implements ChangeStamp {
  private readonly dataVersion;
  private readonly totalChanges;
  private lastDataVersion = -1;
  private lastTotalChanges = -1;
  private lastRollbacks = 0;
  private lookedThisTurn = false;
  private lookedAt = 0;
  private readonly nextTurn = () => {
    this.lookedThisTurn = false;
  };

  /** `groups`: the connection's group commit, when it has one. */
  constructor(
    sqlite: Database.Database,
    private readonly groups: GroupCommit | null,
  ) {
    this.dataVersion = sqlite.prepare("PRAGMA data_version").pluck();
    this.totalChanges = sqlite.prepare("SELECT total_changes()").pluck();
  }

  /** True when the database may have changed since the previous call (and on the first). */
  changedSinceLastLook(): boolean {
    let dataVersion = this.lastDataVersion;
    const now = performance.now();
    if (!this.lookedThisTurn || now - this.lookedAt >= OTHER_CONNECTIONS_LOOK_EVERY_MS) {
      if (!this.lookedThisTurn) {
        this.lookedThisTurn = true;
        setImmediate(this.nextTurn);
      }
      this.lookedAt = now;
      dataVersion = this.dataVersion.get() as number;
    }
    const totalChanges = this.totalChanges.get() as number;
    const rollbacks = this.groups?.rolledBack ?? 0;
    if (dataVersion === this.lastDataVersion && totalChanges === this.lastTotalChanges && rollbacks === this.lastRollbacks) {
      return false;
    }
    this.lastDataVersion = dataVersion;
    this.lastTotalChanges = totalChanges;
    this.lastRollbacks = rollbacks;
    return true;
  }
}
