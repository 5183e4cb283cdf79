import type { Db } from "./client.js";

/**
 * Tells whether anything in the database changed since the last look, exactly (no TTL):
 * `PRAGMA data_version` moves when another connection commits (another server process, the
 * admin CLI), and `total_changes()` moves when this connection writes. Reading both costs
 * about 2 µs; a change that is rolled back still counts, which only errs on the side of
 * "changed".
 */
export class DatabaseChangeStamp {
  private readonly dataVersion;
  private readonly totalChanges;
  private lastDataVersion = -1;
  private lastTotalChanges = -1;

  constructor(db: Db) {
    this.dataVersion = db.$client.prepare("PRAGMA data_version").pluck();
    this.totalChanges = db.$client.prepare("SELECT total_changes()").pluck();
  }

  /** True when the database may have changed since the previous call (and on the first). */
  changedSinceLastLook(): boolean {
    const dataVersion = this.dataVersion.get() as number;
    const totalChanges = this.totalChanges.get() as number;
    if (dataVersion === this.lastDataVersion && totalChanges === this.lastTotalChanges) return false;
    this.lastDataVersion = dataVersion;
    this.lastTotalChanges = totalChanges;
    return true;
  }
}
