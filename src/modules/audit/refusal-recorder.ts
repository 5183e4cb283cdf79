// The `auth-failure-*` audit events of refusals, bounded so that no caller can flood the
// append-only log:
// - one event per request and organization: the first refusal, with the count of the others
//   of the same request in that organization (20 aliases of four refused fields: one event,
//   "…; 79 more refusals in the same request"). An organization's log never mentions what
//   the caller was refused in another organization;
// - per principal (a user, or an organization for its tokens), at most
//   AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL such events a minute. Past it, refusals are counted, not
//   lost: one summary event per organization says how many were held back and when (written
//   when the principal's minute is over and it is refused again, by a sweep every minute, and
//   at shutdown).
import type { Caller } from "../../auth/principal.js";
import type { Store } from "../../db/store.js";
import type { AccessRefusal } from "../../permissions/refusal.js";
import type { AuditEventInput, AuditWriter } from "./audit.writer.js";
import { refusalEvent } from "./refusal-events.js";

const WINDOW_MS = 60_000;
/** Principals tracked at most; past it every held-back count is written out and tracking restarts. */
const MAX_PRINCIPALS = 50_000;

interface HeldBack {
  count: number;
  readonly first: AuditEventInput;
  readonly since: Date;
  until: Date;
  caller: Caller;
}

/** An audit event to write, once the budgets are settled. */
interface Write {
  readonly caller: Caller;
  readonly input: AuditEventInput;
}

interface Budget {
  windowStart: number;
  written: number;
  /** organization id → refusals not written in this window */
  readonly held: Map<string, HeldBack>;
}

const principalKey = (caller: Caller): string => {
  const { principal } = caller;
  if (principal.kind === "USER") return `user:${principal.user.id}`;
  if (principal.kind === "ORGANIZATION_TOKEN") return `org:${principal.organization.id}`;
  return principal.kind;
};

export class RefusalRecorder {
  private readonly budgets = new Map<string, Budget>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    /** Events per principal and minute (AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL). */
    private readonly perPrincipal: number,
  ) {}

  /**
   * The refusals of one request, in the order they happened. The budgets are settled at once
   * (before any write), so concurrent requests count against the same minute; it resolves when
   * the events are written.
   */
  record(caller: Caller, refusals: readonly AccessRefusal[], now = Date.now()): Promise<void> {
    const byOrganization = new Map<string, AuditEventInput[]>();
    for (const refusal of refusals) {
      const event = refusalEvent(refusal.facts);
      const list = byOrganization.get(event.organizationId);
      if (list) list.push(event);
      else byOrganization.set(event.organizationId, [event]);
    }
    const writes: Write[] = [];
    const key = principalKey(caller);
    let budget = this.budgets.get(key);
    if (budget && now - budget.windowStart >= WINDOW_MS) {
      this.takeHeldBack(budget, writes);
      budget.windowStart = now;
      budget.written = 0;
    }
    if (!budget) {
      if (this.budgets.size >= MAX_PRINCIPALS) this.takeExpired(Number.POSITIVE_INFINITY, writes);
      budget = { windowStart: now, written: 0, held: new Map() };
      this.budgets.set(key, budget);
    }
    for (const [organizationId, list] of byOrganization) {
      const first = list[0]!;
      if (budget.written < this.perPrincipal) {
        budget.written++;
        const more = list.length - 1;
        writes.push({
          caller,
          input:
            more === 0
              ? first
              : { ...first, description: `${first.description}; ${more} more refusal${more === 1 ? "" : "s"} in the same request` },
        });
        continue;
      }
      const held = budget.held.get(organizationId);
      if (held) {
        held.count += list.length;
        held.until = new Date(now);
        held.caller = caller;
      } else {
        budget.held.set(organizationId, { count: list.length, first, since: new Date(now), until: new Date(now), caller });
      }
    }
    return this.writeAll(writes);
  }

  /** Writes every held-back count whose minute is over (all of them with `now` = Infinity), and forgets idle principals. */
  flush(now = Date.now()): Promise<void> {
    const writes: Write[] = [];
    this.takeExpired(now, writes);
    return this.writeAll(writes);
  }

  /** Sweeps once a minute until stop(). */
  start(): void {
    // a failed write rejects here as it threw from the timer before: unhandled
    this.sweeper ??= setInterval(() => void this.flush(), WINDOW_MS).unref();
  }

  /** Stops the sweep and writes what is still held back (at shutdown). */
  stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    return this.flush(Number.POSITIVE_INFINITY);
  }

  /** Takes out the budgets whose minute is over, with their held-back counts (into `writes`). */
  private takeExpired(now: number, writes: Write[]): void {
    for (const [key, budget] of this.budgets) {
      if (now - budget.windowStart < WINDOW_MS) continue;
      this.takeHeldBack(budget, writes);
      this.budgets.delete(key);
    }
  }

  private takeHeldBack(budget: Budget, writes: Write[]): void {
    for (const held of budget.held.values()) {
      const plural = held.count === 1 ? "refusal was" : "refusals were";
      writes.push({
        caller: held.caller,
        input: {
          ...held.first,
          description:
            `${held.count} more ${plural} not recorded one by one between ${held.since.toISOString()} and ${held.until.toISOString()} ` +
            `(more than ${this.perPrincipal} refusal events a minute for this caller); the first: ${held.first.description}`,
        },
      });
    }
    budget.held.clear();
  }

  /** One transaction per event, in order; the first failure rejects (the events after it are not written). */
  private async writeAll(writes: readonly Write[]): Promise<void> {
    for (const { caller, input } of writes) {
      await this.store.transaction((tx) => this.audit.write(tx, caller, input));
    }
  }
}
