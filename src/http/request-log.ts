import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from "fastify";
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
    if (!error && reply.statusCode < 500 && (request.log as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.("info") === false)
      return;
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
    // /readyz answers 503 by design while draining (a database that does not answer is logged by the route)
    if (error || (reply.statusCode >= 500 && line.path !== "/readyz")) request.log.error(line, "request failed");
    else request.log.info(line, "request");
  }
}

// pino's types, as Fastify's logger interface names them (pino is Fastify's dependency, not ours)
type Bindings = Parameters<FastifyBaseLogger["child"]>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger["child"]>[1]>;
type LevelName = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
type Leveled = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

/**
 * The logger each request gets (request.log). pino's child() serialises its bindings (the
 * request id, through the redaction rules) as soon as it is made: about 9 µs, on every
 * request, even when the request then writes no line (LOG_LEVEL=warn and all went well).
 * This one makes the real child on the first line that its level lets through.
 */
class DeferredChildLogger implements FastifyBaseLogger {
  #child: Leveled | undefined;

  constructor(
    private readonly parent: Leveled,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }

  private real(): Leveled {
    return (this.#child ??= this.parent.child(this.bindings) as Leveled);
  }

  private write(level: LevelName, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    const child = this.real();
    Reflect.apply(child[level], child, args);
  }
}

/** Fastify's childLoggerFactory: a deferred child, unless the route sets its own level or serializers. */
export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new DeferredChildLogger(logger as Leveled, bindings);
}
