// Rate limits shared by every server on one PostgreSQL database: an @fastify/rate-limit store
// (src/http/rate-limit.ts takes any) whose counts are the fleet's, in the UNLOGGED table
// `rate_limits` (migration 0003), one row per limiter, fixed window and key.
//
// The hot path stays synchronous (src/http/rate-limit.ts says why): `incr` never waits for the
// database. Each server answers it from what it knows — the fleet total of the key as of its
// last flush, plus what it counted itself since — and every RATE_LIMIT_FLUSH_INTERVAL one
// statement per server adds its counts to the table (`insert … on conflict do update set count
// = count + excluded.count returning count`, which hands back the fleet totals of those keys)
// and reads every key of the current windows that is spent (`over_limit`, a partial index:
// however many keys there are, a flush reads only those), so a server also refuses a
// principal it has not seen before as soon as the fleet has spent its limit.
//
// The bound (README, "Running several servers"): a server's view of a key never exceeds the
// fleet's true count, so nothing is refused before the limit; and once the fleet has admitted
// the limit, the row is spent in the table within one flush of the server that admitted the
// last one (I + 2d: the interval I, and d, the time a flush takes — timer delays on a busy
// server included — for a flush in progress and its own), and every server has read it within
// another I + 3d. So past the limit a fleet
// admits at most what the principal sent it during 2I + 5d; one server alone is exact.
//
// Windows are fixed and aligned on the clock (minute 12:00:00–12:01:00 for every server), so
// that the servers count into the same row: their clocks must agree (NTP) to well within I.
// When a flush fails (the database is unreachable), the counts stay here and are sent with the
// next one: meanwhile each server limits on what it knows, so never beyond its own limit.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { type SQL, sql } from "drizzle-orm";

/** Rows per statement when a flush has more keys than that (each batch one statement). */
const BATCH = 1000;
/** Fleet totals kept per limiter and window, as the in-memory store keeps 100,000 keys by default. */
const DEFAULT_CACHE = 100_000;

export interface FleetRateLimitOptions {
  /** Runs one statement outside any transaction (PostgresStore.statement). */
  readonly statement: <R>(query: SQL) => Promise<R[]>;
  /** RATE_LIMIT_FLUSH_INTERVAL. */
  readonly flushIntervalMs: number;
}

/** Where a failing flush is reported (a pino logger is one). */
export interface FlushLog {
  warn(object: object, message: string): void;
  info(message: string): void;
}

export interface FleetRateLimitStats {
  /** Flushes that completed (their statements ran). */
  readonly flushes: number;
  /** Flushes whose statement failed (their counts were kept for the next). */
  readonly failures: number;
  /** Counts sent (one per limiter, window and key of a flush). */
  readonly rows: number;
  /** The longest flush, in milliseconds. */
  readonly maxFlushMs: number;
  /** The most a flush's timer fired after it was due, in milliseconds (a busy event loop): with maxFlushMs, the d of the bound. */
  readonly maxLateMs: number;
}

export interface FleetRateLimits {
  /** The store to give @fastify/rate-limit or createRateLimits (AppOptions.rateLimitStore). */
  readonly Store: FastifyRateLimitStoreCtor;
  /** Set once the logger exists: a flush that starts failing is logged there, and its recovery. */
  log: FlushLog | null;
  readonly stats: FleetRateLimitStats;
  /** Flushes now (after the flush in progress, if any). */
  flush(): Promise<void>;
  /** Stops the interval after a last flush (what this server counted reaches the others). */
  close(): Promise<void>;
}

interface Window {
  readonly start: number;
  /** Counted here since the last flush began. */
  pending: Map<string, number>;
  /** Sent by the flush in progress, not yet acknowledged. */
  readonly inflight: Map<string, number>;
  /** The fleet's totals as last read (each one includes what this server sent before). */
  readonly known: Map<string, number>;
}

interface Row {
  readonly limiter: Limiter;
  readonly window: Window;
  readonly key: string;
  readonly count: number;
}

interface ResultRow {
  readonly flushed: boolean;
  readonly limiter: string;
  readonly window_ms: number;
  readonly key: string;
  readonly count: number;
}

/** One limiter (a child of the store): its windows' counts. */
class Limiter implements FastifyRateLimitStore {
  readonly windows = new Map<number, Window>();
  private current: Window | null = null;

  constructor(
    readonly name: string,
    public max: number,
    public windowMs: number,
    private readonly cache: number,
  ) {}

  incr(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
    max: number,
  ): void {
    const now = Date.now();
    if (timeWindow > 0) this.windowMs = timeWindow;
    this.max = max;
    const start = now - (now % this.windowMs);
    let window = this.current;
    if (window?.start !== start) this.current = window = this.window(start);
    const pending = (window.pending.get(key) ?? 0) + 1;
    window.pending.set(key, pending);
    const current = (window.known.get(key) ?? 0) + (window.inflight.get(key) ?? 0) + pending;
    callback(null, { current, ttl: start + this.windowMs - now });
  }

  child(): FastifyRateLimitStore {
    return this;
  }

  window(start: number): Window {
    let window = this.windows.get(start);
    if (!window) this.windows.set(start, (window = { start, pending: new Map(), inflight: new Map(), known: new Map() }));
    return window;
  }

  /** The fleet's total of `key` is at least `count`. */
  learn(window: Window, key: string, count: number): void {
    const known = window.known.get(key);
    if (known !== undefined && known >= count) return;
    if (known === undefined && window.known.size >= this.cache) {
      // the oldest known total goes first: that key is then counted as new (at most one flush long)
      window.known.delete(window.known.keys().next().value!);
    }
    window.known.set(key, count);
  }
}

class FleetCounts {
  readonly limiters = new Map<string, Limiter>();
  log: FlushLog | null = null;
  stats = { flushes: 0, failures: 0, rows: 0, maxFlushMs: 0, maxLateMs: 0 };
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private failing = false;
  private sweptBefore = 0;
  private cache = DEFAULT_CACHE;

  constructor(private readonly options: FleetRateLimitOptions) {
    this.schedule();
  }

  /** What `new Store(globalOptions)` returns: a store whose children are the limiters. */
  root(globalOptions: { timeWindow?: unknown; cache?: unknown }): FastifyRateLimitStore {
    if (typeof globalOptions.cache === "number") this.cache = globalOptions.cache;
    const windowMs = typeof globalOptions.timeWindow === "number" ? globalOptions.timeWindow : 60_000;
    const limiter = (name: string, max: number, timeWindow: number) => {
      let found = this.limiters.get(name);
      if (!found) this.limiters.set(name, (found = new Limiter(name, max, timeWindow, this.cache)));
      return found;
    };
    return {
      incr: (key, callback, timeWindow, max) => limiter("default", max, timeWindow).incr(key, callback, timeWindow, max),
      child: (routeOptions) => {
        const options = routeOptions as { max?: unknown; timeWindow?: unknown; routeInfo?: { url?: string } };
        const name = options.routeInfo?.url || `limiter-${this.limiters.size}`;
        const max = typeof options.max === "number" ? options.max : Number.MAX_SAFE_INTEGER;
        return limiter(name, max, typeof options.timeWindow === "number" ? options.timeWindow : windowMs);
      },
    };
  }

  flush(): Promise<void> {
    const run = (this.flushing ?? Promise.resolve()).then(() => this.flushOnce());
    const settled = run.finally(() => {
      if (this.flushing === settled) this.flushing = null;
    });
    this.flushing = settled;
    return settled;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }

  private schedule(): void {
    if (this.closed) return;
    const due = performance.now() + this.options.flushIntervalMs;
    this.timer = setTimeout(() => {
      this.stats.maxLateMs = Math.max(this.stats.maxLateMs, performance.now() - due);
      void this.flush().finally(() => this.schedule());
    }, this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Sends the pending counts and learns the fleet's totals; never throws (a failure keeps the counts). */
  private async flushOnce(): Promise<void> {
    if (this.limiters.size === 0) return;
    const began = performance.now();
    const now = Date.now();
    const rows: Row[] = [];
    const current: Array<{ limiter: string; start: number }> = [];
    let sweepBefore = Infinity;
    for (const limiter of this.limiters.values()) {
      const start = now - (now % limiter.windowMs);
      current.push({ limiter: limiter.name, start });
      sweepBefore = Math.min(sweepBefore, start - limiter.windowMs);
      for (const window of limiter.windows.values()) {
        // older than the previous window: its rows are swept, its counts no longer matter
        if (window.start < start - limiter.windowMs) {
          limiter.windows.delete(window.start);
          continue;
        }
        for (const [key, count] of window.pending) {
          window.inflight.set(key, (window.inflight.get(key) ?? 0) + count);
          rows.push({ limiter, window, key, count });
        }
        window.pending = new Map();
      }
    }
    // one order for every server, so that two flushes lock shared rows in the same order (no deadlock)
    rows.sort((a, b) => compare(a.limiter.name, b.limiter.name) || a.window.start - b.window.start || compare(a.key, b.key));
    try {
      for (let i = 0; i === 0 || i < rows.length; i += BATCH) {
        const result = await this.options.statement<ResultRow>(flushStatement(rows.slice(i, i + BATCH), i === 0 ? current : []));
        this.apply(result);
      }
      if (sweepBefore > this.sweptBefore) {
        await this.options.statement(sweepStatement(sweepBefore));
        this.sweptBefore = sweepBefore;
      }
      this.stats.flushes++;
      this.stats.rows += rows.length;
      this.stats.maxFlushMs = Math.max(this.stats.maxFlushMs, performance.now() - began);
      if (this.failing) this.log?.info("rate limits: the counts reach PostgreSQL again; the limits are the fleet's again");
      this.failing = false;
    } catch (err) {
      this.stats.failures++;
      // what was not acknowledged goes with the next flush (the view of each key is unchanged)
      for (const { window } of rows) {
        for (const [key, count] of window.inflight) window.pending.set(key, (window.pending.get(key) ?? 0) + count);
        window.inflight.clear();
      }
      if (!this.failing) {
        this.log?.warn({ err }, "rate limits: cannot send the counts to PostgreSQL; each server limits on what it knows until it can");
      }
      this.failing = true;
    }
    this.forgetPastWindows(now);
  }

  private apply(result: readonly ResultRow[]): void {
    for (const row of result) {
      const limiter = this.limiters.get(row.limiter);
      if (!limiter) continue;
      const windowMs = Number(row.window_ms);
      // a spent key of the current window this server has not met yet is kept too: it is refused at once
      const window = row.flushed ? limiter.windows.get(windowMs) : limiter.window(windowMs);
      if (!window) continue;
      limiter.learn(window, row.key, Number(row.count));
      // the total returned includes what was in flight: it is known now
      if (row.flushed) window.inflight.delete(row.key);
    }
  }

  /** Windows before the current one are dropped once nothing of theirs is left to send. */
  private forgetPastWindows(now: number): void {
    for (const limiter of this.limiters.values()) {
      const start = now - (now % limiter.windowMs);
      for (const window of limiter.windows.values()) {
        if (window.start < start && window.pending.size === 0 && window.inflight.size === 0) limiter.windows.delete(window.start);
      }
    }
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Adds `rows` to the fleet's counts (returning the totals), and reads the spent keys of the
 * `current` windows (as they were before this statement: what it adds is in the first part).
 */
function flushStatement(rows: readonly Row[], current: ReadonlyArray<{ limiter: string; start: number }>): SQL {
  const column = <T>(pick: (row: Row) => T) => sql.param(rows.map(pick));
  return sql`
    with counted as (
      insert into rate_limits as r (limiter, window_start, key, count, "max")
      select * from unnest(${column((r) => r.limiter.name)}::text[], ${column((r) => iso(r.window.start))}::timestamptz[],
                           ${column((r) => r.key)}::text[], ${column((r) => r.count)}::integer[], ${column((r) => r.limiter.max)}::integer[])
      on conflict (limiter, window_start, key) do update set count = r.count + excluded.count, "max" = excluded."max"
      returning r.limiter, r.window_start, r.key, r.count
    )
    select true as flushed, limiter, (extract(epoch from window_start) * 1000)::float8 as window_ms, key, count from counted
    union all
    select false, r.limiter, (extract(epoch from r.window_start) * 1000)::float8, r.key, r.count
      from rate_limits r
      join unnest(${sql.param(current.map((c) => c.limiter))}::text[], ${sql.param(current.map((c) => iso(c.start)))}::timestamptz[])
        as c(limiter, window_start) on r.limiter = c.limiter and r.window_start = c.window_start
     where r.over_limit`;
}

/** Deletes the windows that ended before `before` (rows another server is deleting are skipped). */
function sweepStatement(before: number): SQL {
  return sql`
    delete from rate_limits where (limiter, window_start, key) in (
      select limiter, window_start, key from rate_limits where window_start < ${iso(before)}::timestamptz for update skip locked)`;
}

/** The fleet's rate limits on PostgreSQL; flushing starts at once (close() stops it). */
export function fleetRateLimits(options: FleetRateLimitOptions): FleetRateLimits {
  const counts = new FleetCounts(options);
  // createRateLimits (or the plugin) calls `new Store(globalOptions)`: a constructor returning the root
  const Store = function FleetRateLimitStore(globalOptions: { timeWindow?: unknown; cache?: unknown }) {
    return counts.root(globalOptions);
  } as unknown as FastifyRateLimitStoreCtor;
  return {
    Store,
    get log() {
      return counts.log;
    },
    set log(log) {
      counts.log = log;
    },
    get stats() {
      return { ...counts.stats };
    },
    flush: () => counts.flush(),
    close: () => counts.close(),
  };
}
