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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing requests in flight");
    const timer = setTimeout(() => {
      log.error("shutdown took longer than 10 s; exiting");
      process.exit(1);
    }, 10_000);
    timer.unref();
    await app.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("gatehouse: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
