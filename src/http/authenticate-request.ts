import type { FastifyReply, FastifyRequest } from "fastify";
import type { Caller } from "../auth/principal.js";
import type { RequestState } from "../graphql/context.js";
import { type AppError, RateLimitedError } from "../errors.js";
import type { Services } from "../services.js";
import type { RateLimiter } from "./rate-limit.js";

const newRequestState = (caller: Caller): RequestState => ({ caller, operationName: null, statesRead: new Set(), pings: 0 });

/** An error as the GraphQL layer would have shaped it, with its HTTP status and headers. */
export function sendAppError(reply: FastifyReply, error: AppError, fallbackStatus = 403) {
  for (const [name, value] of Object.entries(error.http?.headers ?? {})) void reply.header(name, value);
  return reply
    .code(error.http?.status ?? fallbackStatus)
    .type("application/json; charset=utf-8")
    .send({ errors: [{ message: error.message, extensions: { code: error.code, ...(error.field ? { field: error.field } : {}) } }] });
}

/**
 * Resolves the caller of a request from its Authorization header, under the rate limits.
 * A bad, deleted or expired token ends the request here with 401 (403 for a token whose
 * organization's subscription disables it), before any GraphQL work. (An address that failed
 * too often was already turned away in onRequest, before its body was read: see app.ts.)
 * False when it answered the request itself.
 */
export function authenticateRequest(services: Services, limiter: RateLimiter, request: FastifyRequest, reply: FastifyReply): boolean {
  const ip = request.ip;
  const caller = (principal: Caller["principal"]): Caller => ({
    principal,
    sourceIp: ip ?? null,
    userAgent: request.headers["user-agent"]?.slice(0, 512) ?? null,
    requestId: request.id,
  });
  request.gatehouse = newRequestState(caller({ kind: "ANONYMOUS" }));

  const result = services.authenticator.authenticate(request.headers.authorization);
  if (!result.ok) {
    if (result.error.code === "UNAUTHENTICATED") limiter.authenticationFailed(ip);
    sendAppError(reply, result.error);
    return false;
  }
  const { principal } = result;
  const wait = limiter.admit(
    principal.kind === "USER"
      ? { principal: `user:${principal.user.id}` }
      : principal.kind === "ORGANIZATION_TOKEN"
        ? { principal: `org:${principal.organization.id}` }
        : { anonymousIp: ip },
  );
  if (wait > 0) {
    sendAppError(reply, new RateLimitedError(wait));
    return false;
  }
  request.gatehouse = newRequestState(caller(principal));
  return true;
}
