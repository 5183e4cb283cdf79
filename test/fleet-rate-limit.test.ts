// Rate limits across servers on one PostgreSQL database (src/db/postgres/rate-limit-store.ts):
// three servers in this process, each with its own pool on the same test database, a principal
// whose requests are spread over them. The fleet refuses it once the fleet has admitted its
// limit, give or take what it sent during 2I + 5d (I: RATE_LIMIT_FLUSH_INTERVAL, d: the longest
// flush): the bound README's "Running several servers" states. Servers counting in their own
// memory (the control) admit the limit each. PostgreSQL only: SQLite counts in its process.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { poolConnection } from "../src/db/postgres/pool.js";
import { fleetRateLimits } from "../src/db/postgres/rate-limit-store.js";
import { PostgresStore } from "../src/db/postgres/store.js";
import type { Store } from "../src/db/store.js";
import { type App, buildApp } from "../src/server.js";
import { pgliteStore } from "./support/pglite-store.js";
import { openTestPostgres, type TestPostgres, testPool } from "./support/postgres.js";
import { testBackend } from "./support/test-server.js";
import { sleep } from "./support/webhook-receiver.js";

const LIMIT = 20;
const INTERVAL_MS = 100;
const SERVERS = 3;
const WINDOW_MS = 60_000;

/** The plugin's in-memory store, as src/http/rate-limit.ts uses it without a store (the control). */
const LocalStore = createRequire(import.meta.url)("@fastify/rate-limit/store/LocalStore.js") as FastifyRateLimitStoreCtor;

describe.skipIf(testBackend() !== "postgres")("rate limits across servers on one PostgreSQL", () => {
  let postgres: TestPostgres;
  let dir: string;
  const opened: Array<{ app: App; store: Store }> = [];

  beforeAll(async () => {
    postgres = await openTestPostgres();
    dir = mkdtempSync(join(tmpdir(), "gatehouse-fleet-"));
  });
  afterAll(async () => {
    for (const { app, store } of opened) {
      await app.close();
      await store.close();
    }
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const secretKey = randomBytes(32).toString("hex");
  /** A server on the test database (a pool of its own), as one of a fleet would be. */
  async function server(rateLimitStore?: FastifyRateLimitStoreCtor): Promise<App> {
    const store = postgres.pglite
      ? pgliteStore(postgres.pglite, async () => {})
      : new PostgresStore(poolConnection(testPool(postgres.url!, 4)));
    const app = await buildApp({
      config: loadConfig({
        DATABASE_PATH: join(dir, "gatehouse.db"),
        SECRET_KEY: secretKey,
        LOG_LEVEL: "silent",
        WEBHOOK_DISPATCHER: "false",
        RATE_LIMIT_PER_PRINCIPAL: String(LIMIT),
        RATE_LIMIT_FLUSH_INTERVAL: `${INTERVAL_MS}ms`,
      }),
      store,
      rateLimitStore,
    });
    opened.push({ app, store });
    return app;
  }
  const fleet = async (rateLimitStore?: FastifyRateLimitStoreCtor) => {
    const apps: App[] = [];
    for (let i = 0; i < SERVERS; i++) apps.push(await server(rateLimitStore));
    return apps;
  };

  async function newUser(app: App) {
    const { user, token } = await app.services.users.create({
      login: `u${randomBytes(4).toString("hex")}`,
      name: "U",
      email: null,
      siteAdmin: false,
    });
    return { id: user.id, token: token.secret };
  }

  const ask = (app: App, token: string) =>
    app.fastify.inject({
      method: "POST",
      url: "/graphql",
      headers: { "content-type": "application/json", authorization: `token ${token}` },
      payload: JSON.stringify({ query: "{ viewer { kind } }" }),
    });

  const roomInWindow = roomInWindowOf;

  interface Sent {
    server: number;
    sentAt: number;
    doneAt: number;
    status: number;
  }

  /** `count` requests, one every `everyMs`, round-robin over `apps`, none waiting for another. */
  async function spread(apps: App[], token: string, count: number, everyMs: number): Promise<Sent[]> {
    const pending: Array<Promise<Sent>> = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + i * everyMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sentAt = performance.now();
      pending.push(
        ask(apps[i % apps.length]!, token).then((res) => ({
          server: i % apps.length,
          sentAt,
          doneAt: performance.now(),
          status: res.statusCode,
        })),
      );
    }
    return Promise.all(pending);
  }

  /** The most requests sent within any `spanMs`. */
  function mostWithin(sent: Sent[], spanMs: number): number {
    const times = sent.map((s) => s.sentAt).sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! > spanMs) j++;
      most = Math.max(most, i - j + 1);
    }
    return most;
  }

  it("requests spread over three servers are refused once the fleet admitted the limit, within the bound", async () => {
    const apps = await fleet();
    const { token } = await newUser(apps[0]!);
    const perServer = LIMIT + 10; // each server alone would admit LIMIT of these
    const everyMs = 20;
    await roomInWindow(SERVERS * perServer * everyMs + 2000);
    const sent = await spread(apps, token, SERVERS * perServer, everyMs);

    expect(new Set(sent.map((s) => s.status))).toEqual(new Set([200, 429]));
    const admitted = sent.filter((s) => s.status === 200).length;
    // nothing is refused before the limit: a server's view never exceeds the fleet's count
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);

    // past it, at most what was sent during 2I + 5d (d: the longest flush; plus a request's latency,
    // since the bound is in the time requests are counted, a little after they are sent)
    // d: the longest flush, and the most a flush's timer was late (the event loop is busy with the requests)
    const d = Math.max(...apps.map(({ fleetRateLimits }) => fleetRateLimits!.stats.maxFlushMs + fleetRateLimits!.stats.maxLateMs));
    const latency = Math.max(...sent.map((s) => s.doneAt - s.sentAt));
    const bound = mostWithin(sent, 2 * INTERVAL_MS + 5 * d + latency);
    console.info(
      `fleet of ${SERVERS}, limit ${LIMIT}, I ${INTERVAL_MS} ms, one request every ${everyMs} ms: admitted ${admitted} ` +
        `(overshoot ${admitted - LIMIT}, bound ${bound}; d ${d.toFixed(1)} ms, latency ${latency.toFixed(1)} ms)`,
    );
    expect(admitted - LIMIT).toBeLessThanOrEqual(bound);

    // each server received more than the limit, and admitted less than it would have alone
    for (let i = 0; i < SERVERS; i++) {
      const mine = sent.filter((s) => s.server === i);
      expect(mine.length).toBeGreaterThan(LIMIT);
      expect(mine.filter((s) => s.status === 200).length).toBeLessThan(LIMIT);
    }
    expect(admitted).toBeLessThan(SERVERS * LIMIT);
  });

  it("the control: servers counting in their own memory admit the limit each", async () => {
    const apps = await fleet(LocalStore);
    const { token } = await newUser(apps[0]!);
    await roomInWindow(SERVERS * (LIMIT + 10) * 20 + 2000);
    const sent = await spread(apps, token, SERVERS * (LIMIT + 10), 20);
    expect(sent.filter((s) => s.status === 200).length).toBe(SERVERS * LIMIT);
  });

  it("a server that meets a principal the fleet has spent refuses it at once", async () => {
    const [first, second] = await fleet();
    const { token } = await newUser(first!);
    await roomInWindow(3000);
    for (let i = 0; i < LIMIT; i++) expect((await ask(first!, token)).statusCode).toBe(200);
    expect((await ask(first!, token)).statusCode).toBe(429);
    await first!.fleetRateLimits!.flush(); // its counts are in the table
    await second!.fleetRateLimits!.flush(); // the second has read the spent key
    const refused = await ask(second!, token);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
  });

  it("counts live in an UNLOGGED table, and a closing server sends what it counted last", async () => {
    const apps = await fleet();
    const app = apps[0]!;
    const { id, token } = await newUser(app);
    await roomInWindow(3000);
    for (let i = 0; i < 5; i++) await ask(app, token);
    await app.fleetRateLimits!.close(); // as app.close() does, before its interval came round
    const rows = await postgres.query<{ limiter: string; count: number; max: number; over_limit: boolean }>(
      "select limiter, count, max, over_limit from rate_limits where key = $1",
      [`user:${id}`],
    );
    expect(rows).toEqual([{ limiter: "principal", count: 5, max: LIMIT, over_limit: false }]);
    const [table] = await postgres.query<{ relpersistence: string }>("select relpersistence from pg_class where relname = 'rate_limits'");
    expect(table!.relpersistence).toBe("u");
  });

  it("old windows are deleted", async () => {
    await postgres.query(
      "insert into rate_limits (limiter, window_start, key, count, max) values ('principal', now() - interval '10 minutes', 'user:old', 3, 20)",
    );
    await server(); // its first flush sweeps the windows before the previous one
    const deadline = Date.now() + 5000;
    while ((await postgres.query("select 1 from rate_limits where key = 'user:old'")).length > 0) {
      if (Date.now() > deadline) throw new Error("the old window was not deleted within 5 s");
      await sleep(INTERVAL_MS);
    }
  });
});

describe.skipIf(testBackend() !== "postgres")("the fleet's store when PostgreSQL fails", () => {
  it("keeps the counts of a failed flush for the next, limits on what it knows meanwhile, and says so once", async () => {
    const postgres = await openTestPostgres();
    const store = postgres.pglite
      ? pgliteStore(postgres.pglite, async () => {})
      : new PostgresStore(poolConnection(testPool(postgres.url!, 2)));
    let down = true;
    const fleet = fleetRateLimits({
      flushIntervalMs: 60_000, // flushed by hand below
      statement: (query) => (down ? Promise.reject(new Error("connection refused")) : store.statement(query)),
    });
    const logged: string[] = [];
    fleet.log = { warn: (_, message) => logged.push(`warn: ${message}`), info: (message) => logged.push(`info: ${message}`) };
    try {
      const limiter = new fleet.Store({ timeWindow: WINDOW_MS }).child({
        max: 3,
        timeWindow: WINDOW_MS,
        routeInfo: { url: "principal" },
      } as never);
      const incr = () =>
        new Promise<number>((resolve, reject) =>
          limiter.incr("user:x", (error, result) => (error ? reject(error) : resolve(result!.current)), WINDOW_MS, 3),
        );
      await roomInWindowOf(2000);
      expect(await incr()).toBe(1);
      expect(await incr()).toBe(2);
      await fleet.flush();
      await fleet.flush();
      expect(await incr()).toBe(3); // nothing was lost by the failed flushes
      expect(await incr()).toBe(4); // refused (over 3) on what this server knows alone
      expect(fleet.stats.failures).toBe(2);
      down = false;
      await fleet.flush();
      expect(await postgres.query("select count from rate_limits where key = 'user:x'")).toEqual([{ count: 4 }]);
      expect(await incr()).toBe(5);
      expect(logged).toEqual([
        "warn: rate limits: cannot send the counts to PostgreSQL; each server limits on what it knows until it can",
        "info: rate limits: the counts reach PostgreSQL again; the limits are the fleet's again",
      ]);
    } finally {
      await fleet.close();
      await store.close();
      await postgres.close();
    }
  });
});

/** Waits for the next window when fewer than `ms` are left in this one (windows are the clock's minutes). */
async function roomInWindowOf(ms: number): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < ms) await sleep(left + 50);
}
