// The composition root of the server (with src/services.ts): the store, every service, the
// rate limiters, the HTTP server and the webhook dispatcher, each handed only what it uses —
// resolvers get the features' services, never the database, the outbox or the webhook sender.
import type { FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { GraphQLSchema } from "graphql";
import type { Config } from "./config.js";
import { openStore } from "./open-store.js";
import type { Store } from "./db/store.js";
import { createHttpServer } from "./http/app.js";
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
   * default: in this process's memory.
   */
  readonly rateLimitStore?: FastifyRateLimitStoreCtor;
}

export interface App {
  readonly fastify: FastifyInstance;
  readonly services: Services;
  readonly store: Store;
  /** Delivers queued webhook events in the background (started unless WEBHOOK_DISPATCHER=false). */
  readonly dispatcher: WebhookDispatcher;
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
  const rateLimits = createRateLimits(config.rateLimits, options.rateLimitStore);
  const fastify = await createHttpServer({
    config,
    logStream: options.logStream,
    schema: options.schema,
    services,
    rateLimits,
    store,
  });

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
    async close() {
      await fastify.close();
      await dispatcher.stop();
      await services.refusals.stop(); // writes the refusal counts still held back
      services.webhookSender.close();
      if (!options.store) {
        const lost = await store.close();
        if (lost) fastify.log.error({ err: lost }, "the last transaction group could not be committed at shutdown: its writes are lost");
      }
    },
  };
}
