// The only module that reads process.env. Every variable is declared in src/config-schema.ts
// (type, default, description, parser) and parsed once; a bad value stops the start with a
// message that says how to fix it (CONTRACT.md §8).
import { ENV_SCHEMA, type LogLevel, type SynchronousMode } from "./config-schema.js";

export { LOG_LEVELS, type LogLevel, type SynchronousMode } from "./config-schema.js";

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databasePath: string;
  /** PostgreSQL's URL; null: SQLite at databasePath. */
  readonly databaseUrl: string | null;
  readonly databasePoolSize: number;
  /** SQLite `synchronous`: FULL (default) survives power loss, NORMAL only a process crash. */
  readonly databaseSynchronous: SynchronousMode;
  readonly logLevel: LogLevel;
  /** On every log line (`serverId`): which server of a fleet wrote it. */
  readonly serverId: string;
  /** On SIGTERM: /readyz answers 503 this long before the server stops accepting. */
  readonly drainTimeMs: number;
  readonly production: boolean;
  /** 32-byte key for secrets at rest; null: use (or create) the key file beside the database. */
  readonly secretKey: Buffer | null;
  readonly corsOrigins: readonly string[];
  /** Addresses of reverse proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  readonly webhookAllowPrivateNetworks: boolean;
  /** One delivery attempt gives up after this long. */
  readonly webhookTimeoutMs: number;
  /** Retries, as delays after the first attempt (each ±20% jitter). */
  readonly webhookRetrySchedule: readonly number[];
  /** Run the background dispatcher (off: events wait in the outbox). */
  readonly webhookDispatcherEnabled: boolean;
  /** Introspection (the playground's docs); off by default in production. */
  readonly introspection: boolean;
  readonly limits: RequestLimits;
  readonly rateLimits: RateLimits;
  /** Organizations one user may create (and still belong to); site admins are not limited. */
  readonly maxOrganizationsPerUser: number;
  /** Setting names that are read but deprecated: logged as a warning at start. */
  readonly deprecations: readonly string[];
}

/** Limits on what one request may ask (src/http/limits.ts). */
export interface RequestLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxTokens: number;
  readonly maxDirectives: number;
  readonly maxCost: number;
  readonly maxBodyBytes: number;
  /** A response grows by at most this many bytes of payloads, state, deliveries and exports. */
  readonly maxResponseBytes: number;
  /** Compiled queries kept (graphql-jit), by their estimated size. */
  readonly compiledCacheBytes: number;
  /** A request must be answered within this long (else 503). */
  readonly requestTimeoutMs: number;
}

/** Requests per minute (src/http/rate-limit.ts). */
export interface RateLimits {
  /** Requests of one principal: a user (whichever of their tokens), or an organization (whichever of its tokens). */
  readonly perPrincipal: number;
  /** Requests with no token, per client address. */
  readonly anonymousPerIp: number;
  /** Failed authentications per client address; past it, failing requests get 429 (valid tokens still pass). */
  readonly authFailuresPerIp: number;
  /** `auth-failure-*` audit events written per principal; the rest are counted in a summary event. */
  readonly refusalEventsPerPrincipal: number;
  /** PostgreSQL: each server adds its counts to the fleet's this often (src/db/postgres/rate-limit-store.ts). */
  readonly flushIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parses `env` (process.env by default) with the schema of src/config-schema.ts. Every bad
 * value is reported, each with how to fix it, in one ConfigError.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ENV_SCHEMA.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => issue.message).join("; "));
  const v = parsed.data;
  if (v.DATABASE_URL !== null && v.SECRET_KEY === null) {
    // several servers share the database: cursors and webhook secrets must be readable by all of them
    throw new ConfigError(
      "SECRET_KEY is required with DATABASE_URL (every server on the database must use the same key): " +
        "generate one with `openssl rand -hex 32` and give the same value to every server",
    );
  }
  const deprecations: string[] = [];
  // RATE_LIMIT_PER_TOKEN was the name while the limit already counted per user or organization
  if (v.RATE_LIMIT_PER_TOKEN !== undefined) {
    deprecations.push(
      env.RATE_LIMIT_PER_PRINCIPAL?.trim()
        ? "RATE_LIMIT_PER_TOKEN is ignored: RATE_LIMIT_PER_PRINCIPAL is set (remove RATE_LIMIT_PER_TOKEN)"
        : "RATE_LIMIT_PER_TOKEN is deprecated: rename it RATE_LIMIT_PER_PRINCIPAL (it counts per user or per organization, across their tokens)",
    );
  }
  return Object.freeze({
    host: v.HOST,
    port: v.PORT,
    databasePath: v.DATABASE_PATH,
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    databaseSynchronous: v.DATABASE_SYNCHRONOUS,
    logLevel: v.LOG_LEVEL,
    serverId: v.SERVER_ID,
    drainTimeMs: v.DRAIN_TIME,
    production: v.NODE_ENV,
    secretKey: v.SECRET_KEY,
    corsOrigins: Object.freeze(v.CORS_ORIGINS),
    trustedProxies: Object.freeze(v.TRUSTED_PROXIES),
    webhookAllowPrivateNetworks: v.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    webhookTimeoutMs: v.WEBHOOK_TIMEOUT,
    webhookRetrySchedule: Object.freeze(v.WEBHOOK_RETRY_SCHEDULE),
    webhookDispatcherEnabled: v.WEBHOOK_DISPATCHER,
    introspection: v.GRAPHQL_INTROSPECTION ?? !v.NODE_ENV,
    limits: Object.freeze({
      maxDepth: v.GRAPHQL_MAX_DEPTH,
      maxAliases: v.GRAPHQL_MAX_ALIASES,
      maxTokens: v.GRAPHQL_MAX_TOKENS,
      maxDirectives: v.GRAPHQL_MAX_DIRECTIVES,
      maxCost: v.GRAPHQL_MAX_COST,
      maxBodyBytes: v.MAX_BODY_BYTES,
      maxResponseBytes: v.MAX_RESPONSE_BYTES,
      compiledCacheBytes: v.GRAPHQL_COMPILED_CACHE_BYTES,
      requestTimeoutMs: v.REQUEST_TIMEOUT,
    }),
    rateLimits: Object.freeze({
      perPrincipal: env.RATE_LIMIT_PER_PRINCIPAL?.trim()
        ? v.RATE_LIMIT_PER_PRINCIPAL
        : (v.RATE_LIMIT_PER_TOKEN ?? v.RATE_LIMIT_PER_PRINCIPAL),
      anonymousPerIp: v.RATE_LIMIT_ANONYMOUS_PER_IP,
      authFailuresPerIp: v.RATE_LIMIT_AUTH_FAILURES_PER_IP,
      refusalEventsPerPrincipal: v.AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL,
      flushIntervalMs: v.RATE_LIMIT_FLUSH_INTERVAL,
    }),
    maxOrganizationsPerUser: v.MAX_ORGANIZATIONS_PER_USER,
    deprecations: Object.freeze(deprecations),
  });
}
