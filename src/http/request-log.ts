import { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import type { Principal } from "../auth/principal.js";

function principalLabel(principal: Principal): { kind: string; id?: string } {
  switch (principal.kind) {
    case "USER":
      return { kind: "USER", id: principal.user.id };
    case "ORGANIZATION_TOKEN":
      return { kind: "ORGANIZATION_TOKEN", id: principal.token.id };
    default:
      return { kind: principal.kind };
  }
}

/**
 * One JSON line per request, written when it completes: request id (reqId), method, path
 * (never the query string), status, duration, who called (kind and id, never a secret)
 * and the GraphQL operation name.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && reply.statusCode < 500 && (request.log as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.("info") === false) return;
    const state = request.gatehouse;
    const line = {
      method: request.method,
      path: request.url.split("?")[0],
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      principal: state ? principalLabel(state.caller.principal) : undefined,
      operation: state?.operationName ?? undefined,
      ...(error ? { err: error } : {}),
    };
    if (error || reply.statusCode >= 500) request.log.error(line, "request failed");
    else request.log.info(line, "request");
  }
}
