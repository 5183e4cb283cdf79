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
import type { Store, Tx } from "../../db/store.js";
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

  /** The refusals of one request, in the order they happened. */
  record(caller: Caller, refusals: readonly AccessRefusal[], now = Date.now()): void {
    const byOrganization = new Map<string, AuditEventInput[]>();
    for (const refusal of refusals) {
      const event = refusalEvent(refusal.facts);
      const list = byOrganization.get(event.organizationId);
      if (list) list.push(event);
      else byOrganization.set(event.organizationId, [event]);
    }
    const key = principalKey(caller);
    let budget = this.budgets.get(key);
    if (budget && now - budget.windowStart >= WINDOW_MS) {
      this.writeHeldBack(budget);
      budget.windowStart = now;
      budget.written = 0;
    }
    if (!budget) {
      if (this.budgets.size >= MAX_PRINCIPALS) this.flush(Number.POSITIVE_INFINITY);
      budget = { windowStart: now, written: 0, held: new Map() };
      this.budgets.set(key, budget);
    }
    for (const [organizationId, list] of byOrganization) {
      const first = list[0]!;
      if (budget.written < this.perPrincipal) {
        budget.written++;
        const more = list.length - 1;
        this.write(
          caller,
          more === 0
            ? first
            : { ...first, description: `${first.description}; ${more} more refusal${more === 1 ? "" : "s"} in the same request` },
        );
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
  }

  /** Writes every held-back count whose minute is over (all of them with `now` = Infinity), and forgets idle principals. */
  flush(now = Date.now()): void {
    for (const [key, budget] of this.budgets) {
      if (now - budget.windowStart < WINDOW_MS) continue;
      this.writeHeldBack(budget);
      this.budgets.delete(key);
    }
  }

  /** Sweeps once a minute until stop(). */
  start(): void {
    this.sweeper ??= setInterval(() => this.flush(), WINDOW_MS).unref();
  }

  /** Stops the sweep and writes what is still held back (at shutdown). */
  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.flush(Number.POSITIVE_INFINITY);
  }

  private writeHeldBack(budget: Budget): void {
    for (const held of budget.held.values()) {
      const plural = held.count === 1 ? "refusal was" : "refusals were";
      this.write(held.caller, {
        ...held.first,
        description:
          `${held.count} more ${plural} not recorded one by one between ${held.since.toISOString()} and ${held.until.toISOString()} ` +
          `(more than ${this.perPrincipal} refusal events a minute for this caller); the first: ${held.first.description}`,
      });
    }
    budget.held.clear();
  }

  private write(caller: Caller, input: AuditEventInput): void {
    this.store.transaction(async () => await this.audit.write(tx, caller, input));
  }
}
