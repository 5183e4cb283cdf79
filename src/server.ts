// The composition root of the server (with src/services.ts): the store, every service, the
// rate limiters, the HTTP server and the webhook dispatcher, each handed only what it uses —
// resolvers get the features' services, never the database, the outbox or the webhook sender.
// On PostgreSQL the rate limits are the fleet's (src/db/postgres/rate-limit-store.ts).
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { GraphQLSchema } from "graphql";
import type { Config } from "./config.js";
import { openStore } from "./open-store.js";
import { type FleetRateLimits, fleetRateLimits } from "./db/postgres/rate-limit-store.js";
import { PostgresStore } from "./db/postgres/store.js";
import type { Store } from "./db/store.js";
import { createHttpServer } from "./http/app.js";
import { Readiness } from "./http/health.js";
import { createRateLimits } from "./http/rate-limit.js";
import { loadServerKey } from "./lib/server-key.js";
import { WebhookDispatcher } from "./modules/webhooks/webhook-dispatcher.js";
import { createServices, type Services } from "./services.js";

export interface AppOptions {
  readonly config: Config;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * An already open store (tests, tools; on SQLite opened with `groupCommit: true`); otherwise
   * the one the configuration names (DATABASE_URL, else DATABASE_PATH) is opened, and closed with the app.
   */
  readonly store?: Store;
  /** The executable schema; default: buildGuardedSchema() (the benchmark swaps it, see test/bench/). */
  readonly schema?: GraphQLSchema;
  /**
   * Where rate-limit counts live: any @fastify/rate-limit store (e.g. one shared by a fleet);
   * default: on PostgreSQL the fleet's (in the database, src/db/postgres/rate-limit-store.ts),
   * on SQLite this process's memory.
   */
  readonly rateLimitStore?: FastifyRateLimitStoreCtor;
}

export interface App {
  readonly fastify: FastifyInstance;
  readonly services: Services;
  readonly store: Store;
  /** Delivers queued webhook events in the background (started unless WEBHOOK_DISPATCHER=false). */
  readonly dispatcher: WebhookDispatcher;
  /** The fleet's rate limits (PostgreSQL, unless AppOptions.rateLimitStore was given); else null. */
  readonly fleetRateLimits: FleetRateLimits | null;
  /**
   * Starts draining: /readyz answers 503 from now on (requests are still served, /healthz still
   * 200), then waits `waitMs` (default DRAIN_TIME) for the load balancer to notice. SIGTERM
   * calls it before close(). Calling it again waits again but changes nothing else.
   */
  drain(waitMs?: number): Promise<void>;
  /**
   * Stops accepting, finishes the requests in flight, sends the last rate-limit counts, lets
   * the webhook attempts in flight finish and record, and closes the store it opened.
   */
  close(): Promise<void>;
}

/** The server, built and started (not yet listening). */
export async function buildApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const store = options.store ?? (await openStore(config, { groupCommit: true }));
  const services = createServices(store, loadServerKey(config.secretKey, config.databasePath), {
    webhooks: { allowPrivateNetworks: config.webhookAllowPrivateNetworks, timeoutMs: config.webhookTimeoutMs },
    refusalEventsPerPrincipal: config.rateLimits.refusalEventsPerPrincipal,
    maxOrganizationsPerUser: config.maxOrganizationsPerUser,
  });
  services.refusals.start();
  const fleet =
    !options.rateLimitStore && store instanceof PostgresStore
      ? fleetRateLimits({ statement: (query) => store.statement(query), flushIntervalMs: config.rateLimits.flushIntervalMs })
      : null;
  const rateLimits = createRateLimits(config.rateLimits, options.rateLimitStore ?? fleet?.Store);
  const readiness = new Readiness();
  const fastify = await createHttpServer({
    config,
    logStream: options.logStream,
    schema: options.schema,
    services,
    rateLimits,
    store,
    readiness,
  });
  if (fleet) fleet.log = fastify.log;

  const dispatcher = new WebhookDispatcher({
    store,
    sender: services.webhookSender,
    secrets: services.webhookSecrets,
    schedule: config.webhookRetrySchedule,
    timeoutMs: config.webhookTimeoutMs,
    log: fastify.log,
  });
  if (config.webhookDispatcherEnabled) {
    services.outbox.onEnqueued(() => dispatcher.kick());
    dispatcher.start();
  }

  return {
    fastify,
    services,
    store,
    dispatcher,
    fleetRateLimits: fleet,
    async drain(waitMs = config.drainTimeMs) {
      if (!readiness.draining) {
        readiness.drain();
        fastify.log.info({ drainMs: waitMs }, "draining: /readyz answers 503, requests are still served");
      }
      if (waitMs > 0) await sleep(waitMs);
    },
    async close() {
      readiness.drain();
      await fastify.close();
      await fleet?.close(); // what this server counted reaches the others
      await dispatcher.stop(); // the attempts in flight finish and record; nothing more is claimed
      await services.refusals.stop(); // writes the refusal counts still held back
      services.webhookSender.close();
      if (!options.store) {
        const lost = await store.close();
        if (lost) fastify.log.error({ err: lost }, "the last transaction group could not be committed at shutdown: its writes are lost");
      }
    },
  };
}
