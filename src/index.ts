import "reflect-metadata";
import { bootstrapSiteAdmin } from "./bootstrap.js";
import { ConfigError, loadConfig } from "./config.js";
import { buildApp } from "./server.js";

/** A database URL as it may be logged: without its password. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "redacted";
  return parsed.toString();
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`gatehouse: cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const started = performance.now();
  const app = await buildApp({ config });
  const log = app.fastify.log;

  const tokenFile = await bootstrapSiteAdmin(app.services, config.databasePath);
  if (tokenFile) log.info({ tokenFile }, `first start: created the site admin "admin"; its token is in ${tokenFile}`);

  await app.fastify.listen({ host: config.host, port: config.port });
  const address = app.fastify.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  log.info(
    {
      database: config.databaseUrl === null ? config.databasePath : redactedUrl(config.databaseUrl),
      readyMs: Math.round(performance.now() - started),
    },
    `Gatehouse is listening: GraphQL and playground at http://${host}:${port}/graphql`,
  );

  // SIGTERM (a rolling restart, an orchestrator): drain first — /readyz answers 503 for
  // DRAIN_TIME while requests are still served, so the load balancer stops sending — then stop
  // accepting, finish the requests in flight, let the webhook attempts in flight finish and
  // record, close the store. SIGINT (Ctrl-C) skips the drain; a second signal cuts it short.
  let stopping = false;
  let hurry: () => void = () => {};
  const hurried = new Promise<void>((resolve) => (hurry = resolve));
  const stop = async (signal: string) => {
    if (stopping) {
      hurry();
      return;
    }
    stopping = true;
    const drainMs = signal === "SIGTERM" ? config.drainTimeMs : 0;
    log.info({ signal, drainMs }, "shutting down: draining, then finishing requests in flight");
    await Promise.race([app.drain(drainMs), hurried]);
    // a webhook attempt in flight may take its whole timeout, and then records its result
    const graceMs = Math.max(10_000, config.webhookTimeoutMs + 5_000);
    const timer = setTimeout(() => {
      log.error(`shutdown took longer than ${graceMs / 1000} s after draining; exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    await app.close();
    log.info("shut down");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("gatehouse: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
