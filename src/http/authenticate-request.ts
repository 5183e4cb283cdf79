import type { FastifyReply, FastifyRequest } from "fastify";
import type { Caller } from "../auth/principal.js";
import type { Services } from "../services.js";

/**
 * Resolves the caller of a request from its Authorization header. A bad, deleted or
 * expired token ends the request here with 401 (403 for a token whose organization's
 * subscription disables it), in the GraphQL error shape, before any GraphQL work.
 */
export async function authenticateRequest(services: Services, request: FastifyRequest, reply: FastifyReply) {
  const result = services.authenticator.authenticate(request.headers.authorization);
  const caller = (principal: Caller["principal"]): Caller => ({
    principal,
    sourceIp: request.ip ?? null,
    userAgent: request.headers["user-agent"]?.slice(0, 512) ?? null,
    requestId: request.id,
  });
  if (result.ok) {
    request.gatehouse = { caller: caller(result.principal), operationName: null };
    return;
  }
  const { error } = result;
  request.gatehouse = { caller: caller({ kind: "ANONYMOUS" }), operationName: null };
  for (const [name, value] of Object.entries(error.http?.headers ?? {})) void reply.header(name, value);
  return reply
    .code(error.http?.status ?? 403)
    .type("application/json; charset=utf-8")
    .send({ errors: [{ message: error.message, extensions: { code: error.code } }] });
}
