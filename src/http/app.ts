// The HTTP server: Fastify (routes beside GraphQL, pino logging with request ids, body
// limits, trusted-proxy handling) with Apollo Server mounted on /graphql.
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import cors from "@fastify/cors";
import { hostname } from "node:os";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { GraphQLSchema } from "graphql";
import { registerDurableResponses } from "./durable-responses.js";
import { RequestLogController, requestLogger } from "./request-log.js";
import { nanoid } from "nanoid";
import type { Config } from "../config.js";
import type { Authenticator } from "../auth/authenticate.js";
import type { Store } from "../db/store.js";
import { type Context, createContext, type GraphQLServices, type RequestState } from "../graphql/context.js";
import { jitGateway } from "../graphql/jit-executor.js";
import { buildGuardedSchema } from "../graphql/schema.js";
import { createFormatError } from "./format-error.js";
import { registerAuditExportRoute } from "./audit-export-route.js";
import { type Readiness, registerHealthRoutes } from "./health.js";
import { playgroundLandingPage, registerPlayground } from "./playground.js";
import { authenticationHook } from "./authenticate-request.js";
import { graphqlRequestChecks } from "./graphql-request-checks.js";
import { documentLimits, registerErrorHandler, registerRequestDeadline } from "./limits.js";
import { gatehouseRequestPlugin } from "./request-plugin.js";
import type { RateLimiters } from "./rate-limit.js";
import { hookRoutes, isAuthenticatedRoute } from "./route-hooks.js";

declare module "fastify" {
  interface FastifyRequest {
    gatehouse: RequestState | null;
  }
}

/** What the HTTP server is built around (src/services.ts, the composition root, builds it all). */
export interface HttpServerParts {
  readonly config: Config;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream;
  /** The executable schema; default: buildGuardedSchema() (the benchmark swaps it, see test/bench/). */
  readonly schema?: GraphQLSchema;
  readonly services: HttpServices;
  readonly rateLimits: RateLimiters;
  /** For /healthz, and SQLite's group commit: a response leaves once what its request touched is committed. */
  readonly store: Store;
  /** For /readyz: draining (App.drain) turns it to 503. */
  readonly readiness: Readiness;
}

/** The services the HTTP layer uses: the GraphQL context's, and the authenticator. */
export interface HttpServices extends GraphQLServices {
  readonly authenticator: Authenticator;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Response headers a console on another origin may read (beyond the CORS-safelisted ones). */
export const EXPOSED_HEADERS = ["X-Request-Id", "Retry-After", "Content-Disposition"];

function loggerOptions(options: HttpServerParts): FastifyServerOptions["logger"] {
  return {
    level: options.config.logLevel,
    // pino's default fields, and which server of a fleet wrote the line
    base: { pid: process.pid, hostname: hostname(), serverId: options.config.serverId },
    ...(options.logStream ? { stream: options.logStream } : {}),
    // Belt and braces: the request serializer logs no headers, but should one ever be
    // logged, no credential goes with it.
    redact: {
      paths: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "*.authorization"],
      censor: "[redacted]",
    },
  };
}

/** The Fastify server: routes, hooks, and Apollo Server mounted on /graphql. */
export async function createHttpServer(options: HttpServerParts): Promise<FastifyInstance> {
  const { config, services, store, readiness } = options;
  const fastify = Fastify({
    logger: loggerOptions(options),
    logController: new RequestLogController(),
    childLoggerFactory: requestLogger,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    requestIdHeader: false, // genReqId reads x-request-id itself, and only keeps a safe one
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : `req-${nanoid(16)}`;
    },
    bodyLimit: config.limits.maxBodyBytes,
    requestTimeout: config.limits.requestTimeoutMs + 5000,
  });
  if (store.pendingCommits) registerDurableResponses(fastify, store.pendingCommits);
  registerErrorHandler(fastify, config.limits);
  registerRequestDeadline(fastify, config.limits);
  fastify.decorateRequest("gatehouse", null);
  fastify.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    // draining: a client (or a proxy) on a kept-alive connection reconnects, to another server
    if (readiness.draining) reply.header("connection", "close");
    done();
  });
  for (const warning of config.deprecations) fastify.log.warn(warning);
  // the caller is known (or refused) before the body is read
  const authenticate = authenticationHook(services, options.rateLimits, config.limits.maxResponseBytes);
  hookRoutes(fastify, "onRequest", (route) => (isAuthenticatedRoute(route) ? authenticate : null));
  const checks = graphqlRequestChecks(config.limits.maxTokens);
  hookRoutes(fastify, "preHandler", (route) => (route.url === "/graphql" ? checks : null));
  if (config.corsOrigins.length > 0) {
    // Origins match exactly (scheme, host, port: http://localhost:3000 is not http://127.0.0.1:3000).
    // A refused origin gets no Access-Control-Allow-Origin, so the browser withholds the answer
    // (and, for a preflighted request such as a JSON POST, never sends it). The hook runs on every
    // request before any other, so refusals (401, 429, 413) carry the headers too and a console can
    // read their code, request id and Retry-After.
    await fastify.register(cors, {
      origin: [...config.corsOrigins],
      credentials: false,
      maxAge: 600,
      exposedHeaders: EXPOSED_HEADERS,
    });
  }

  registerHealthRoutes(fastify, store, readiness);

  const limits = documentLimits(config.limits, config.production);
  const apollo = new ApolloServer<Context>({
    // the guarded schema, executed by graphql-jit (src/graphql/jit-executor.ts)
    gateway: jitGateway(options.schema ?? buildGuardedSchema(), {
      maxCost: config.limits.maxCost,
      cacheBytes: config.limits.compiledCacheBytes,
      hideSuggestions: config.production,
    }),
    formatError: createFormatError(fastify.log),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: config.production,
    allowBatchedHttpRequests: false,
    // src/index.ts shuts down on SIGTERM (drain first, then close in order): Apollo's own handler
    // would close the HTTP server at once (through the drain plugin) and raise the signal again
    stopOnTerminationSignals: false,
    // automatic persisted queries: off, and refused with a clear error (src/http/graphql-request-checks.ts)
    persistedQueries: false,
    // compact JSON (Apollo pretty-prints by default)
    stringifyResult: (result) => JSON.stringify(result),
    validationRules: limits.validationRules,
    parseOptions: { maxTokens: config.limits.maxTokens },
    plugins: [
      ...limits.plugins,
      // no cache hints are used: without this plugin Apollo wraps no field resolver
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      fastifyApolloDrainPlugin(fastify),
      playgroundLandingPage(), // GraphiQL from our own packages, for GET /graphql from a browser
      gatehouseRequestPlugin(fastify.log),
    ],
  });
  await apollo.start();

  registerAuditExportRoute(fastify, services);
  registerPlayground(fastify); // its assets, and the page's security headers (before Apollo's routes)
  await fastify.register(fastifyApollo(apollo), {
    path: "/graphql",
    method: ["GET", "POST", "OPTIONS"],
    context: async (request): Promise<Context> => {
      return createContext(services, request.gatehouse!);
    },
  });

  return fastify;
}
