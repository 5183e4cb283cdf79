// What one request may ask: GraphQL document limits (graphql-armor: depth, aliases, tokens,
// directives, cost), and the HTTP-level errors (body too large, request too slow, malformed
// JSON) answered in the GraphQL error shape instead of Fastify's own.
import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RequestLimits } from "../config.js";
import type { Context } from "../graphql/context.js";
import { hookRoutes, routeConfig } from "./route-hooks.js";

export function documentLimits(limits: RequestLimits, production: boolean) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, exposeLimits: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: true },
    // tokens are counted by graphql-js's own parser (parseOptions.maxTokens in app.ts), so a
    // document over the limit is the parse error it is (GRAPHQL_PARSE_FAILED)
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true },
    // the cost limit needs the variables: computed before execution (src/graphql/operation-cost.ts)
    costLimit: { enabled: false },
    // "Did you mean …?" reveals the schema: off in production (introspection is off there too)
    blockFieldSuggestion: { enabled: production },
  });
  const { plugins, validationRules } = armor.protect();
  // armor's typings point at Apollo's CommonJS declarations; the plugin objects are the same
  return { plugins: plugins as unknown as ApolloServerPlugin<Context>[], validationRules };
}

const CLIENT_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "the request body is too large",
  FST_ERR_CTP_INVALID_JSON_BODY: "the request body is not valid JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "the request body is empty",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "send the request as application/json",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "the Content-Length header does not match the body",
};

/**
 * The per-request time limit: a request not answered within `requestTimeoutMs` gets 503.
 * One sweeper for all requests in flight (checked every 100 ms) instead of a timer (and
 * Fastify's AbortController) per request, which cost more than the work of a small query.
 * Routes may allow longer with `config.timeoutMs` (the streaming export).
 */
export function registerRequestDeadline(fastify: FastifyInstance, limits: RequestLimits): void {
  // Removed as soon as a request is answered: holding requests until the next sweep instead
  // (an array) made them outlive the young generation, and the extra GC cost more than the Map.
  const inFlight = new Map<FastifyRequest, { reply: FastifyReply; deadline: number; timeoutMs: number }>();
  // callback-style hooks (here and in app.ts): an async hook costs a promise and a turn of the
  // microtask queue per request, for work that is synchronous
  hookRoutes(fastify, "onRequest", (route) => {
    const timeoutMs = routeConfig(route).timeoutMs ?? limits.requestTimeoutMs;
    return (request, reply, done) => {
      inFlight.set(request, { reply, deadline: Date.now() + timeoutMs, timeoutMs });
      done();
    };
  });
  fastify.addHook("onResponse", (request, _reply, done) => {
    inFlight.delete(request);
    done();
  });
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [request, { reply, deadline, timeoutMs }] of inFlight) {
      if (now < deadline) continue;
      inFlight.delete(request);
      if (reply.sent || reply.raw.headersSent) continue; // answered, or its answer is streaming
      request.log.warn({ timeoutMs }, "request timed out");
      void reply.code(503).send({
        errors: [{ message: `the request took longer than ${timeoutMs} ms`, extensions: { code: "INTERNAL_SERVER_ERROR" } }],
      });
    }
  }, 100);
  sweeper.unref();
  fastify.addHook("onClose", async () => clearInterval(sweeper));
}

/** Fastify-level failures in the GraphQL error shape; anything unexpected is masked. */
export function registerErrorHandler(fastify: FastifyInstance, limits: RequestLimits): void {
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (reply.sent) return; // the deadline already answered (503)
    if (status >= 400 && status < 500) {
      const message =
        error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? `the request body is larger than ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES)`
          : (CLIENT_ERRORS[error.code] ?? "bad request");
      return reply.code(status).send({ errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] });
    }
    request.log.error({ err: error }, "unexpected error, masked");
    return reply.code(500).send({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
  });
}
