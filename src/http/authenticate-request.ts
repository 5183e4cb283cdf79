import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from "fastify";
import { ANONYMOUS, type Caller, type Principal } from "../auth/principal.js";
import type { RequestState } from "../graphql/context.js";
import { ResponseBudget } from "../lib/response-budget.js";
import { type AppError, RateLimitedError } from "../errors.js";
import type { AuthenticationResult, Authenticator } from "../auth/authenticate.js";
import type { RateLimiters } from "./rate-limit.js";

/** An error as the GraphQL layer would have shaped it, with its HTTP status and headers. */
export function sendAppError(reply: FastifyReply, error: AppError, fallbackStatus = 403) {
  for (const [name, value] of Object.entries(error.http?.headers ?? {})) void reply.header(name, value);
  return reply
    .code(error.http?.status ?? fallbackStatus)
    .type("application/json; charset=utf-8")
    .send({ errors: [{ message: error.message, extensions: { code: error.code, ...(error.field ? { field: error.field } : {}) } }] });
}

function requestState(request: FastifyRequest, principal: Principal, maxResponseBytes: number): RequestState {
  const caller: Caller = {
    principal,
    sourceIp: request.ip ?? null,
    userAgent: request.headers["user-agent"]?.slice(0, 512) ?? null,
    requestId: request.id,
  };
  return { caller, operationName: null, statesRead: new Set(), pings: 0, responseBudget: new ResponseBudget(maxResponseBytes) };
}

/**
 * The onRequest hook of the GraphQL endpoint and the routes that ask for it: resolves the
 * caller from the Authorization header, under the rate limits, before the body is read. A bad,
 * deleted or expired token ends the request here with 401 (429 once its address failed too
 * often; 403 for a token whose organization's subscription disables it), before any GraphQL
 * work. A token that verifies is only ever counted against its own principal's limit.
 */
export function authenticationHook(
  services: { readonly authenticator: Authenticator },
  limiters: RateLimiters,
  maxResponseBytes: number,
): onRequestHookHandler {
  /** Past authentication: refuses, or counts the request against its limiter and lets it through. */
  const admit = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, result: AuthenticationResult) => {
    if (!result.ok) {
      request.gatehouse = requestState(request, ANONYMOUS, maxResponseBytes);
      if (result.error.code !== "UNAUTHENTICATED") return void sendAppError(reply, result.error);
      return limiters.failed(request, (error, wait) => {
        if (error) return done(error);
        sendAppError(reply, wait > 0 ? new RateLimitedError(wait) : result.error);
      });
    }
    request.gatehouse = requestState(request, result.principal, maxResponseBytes);
    // the in-memory store answers at once: no promise, no turn of the event loop
    limiters.admit(request, result.principal, (error, wait) => {
      if (error) return done(error);
      if (wait > 0) return void sendAppError(reply, new RateLimitedError(wait));
      done();
    });
  };
  return (request, reply, done) => {
    services.authenticator.authenticate(request.headers.authorization).then(
      (result) => admit(request, reply, done, result),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
