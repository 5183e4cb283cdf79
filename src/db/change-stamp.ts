import type { Db } from "./client.js";

/**
 * Tells whether anything in the database changed since the last look, without a TTL:
 * `total_changes()` moves when this connection writes (read on every look, 0.1 µs), and
 * `PRAGMA data_version` moves when another connection commits — another server process, the
 * admin CLI (a read transaction: ~1.5 µs alone, several in the middle of a request). The
 * latter is read once per turn of the event loop: the requests handled in one turn arrived
 * together, before it began, so a commit elsewhere is seen by every request that arrives
 * after it. A change that is rolled back still counts, which only errs on the side of
 * "changed".
 */
export class DatabaseChangeStamp {
  private readonly dataVersion;
  private readonly totalChanges;
  private lastDataVersion = -1;
  private lastTotalChanges = -1;
  private otherConnectionsLookedAt = false;
  private readonly nextTurn = () => {
    this.otherConnectionsLookedAt = false;
  };

  constructor(db: Db) {
    this.dataVersion = db.$client.prepare("PRAGMA data_version").pluck();
    this.totalChanges = db.$client.prepare("SELECT total_changes()").pluck();
  }

  /** True when the database may have changed since the previous call (and on the first). */
  changedSinceLastLook(): boolean {
    let dataVersion = this.lastDataVersion;
    if (!this.otherConnectionsLookedAt) {
      this.otherConnectionsLookedAt = true;
      setImmediate(this.nextTurn);
      dataVersion = this.dataVersion.get() as number;
    }
    const totalChanges = this.totalChanges.get() as number;
    if (dataVersion === this.lastDataVersion && totalChanges === this.lastTotalChanges) return false;
    this.lastDataVersion = dataVersion;
    this.lastTotalChanges = totalChanges;
    return true;
  }
}
