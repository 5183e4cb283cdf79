// The only module that reads process.env. Every setting is parsed and checked once; a bad
// value stops the start with a message that says how to fix it (CONTRACT.md §8).
import { isIP } from "node:net";
import { resolve } from "node:path";

export type SynchronousMode = "OFF" | "NORMAL" | "FULL" | "EXTRA";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly databasePath: string;
  /** SQLite `synchronous`: FULL (default) survives power loss, NORMAL only a process crash. */
  readonly databaseSynchronous: SynchronousMode;
  readonly logLevel: LogLevel;
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
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["true", "1", "yes"].includes(raw)) return true;
  if (["false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(`${name}=${env[name]} is not a boolean: use true or false`);
}

function readList(env: Env, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function readPort(env: Env): number {
  const raw = env.PORT?.trim();
  if (raw === undefined || raw === "") return 4000;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT=${raw} is not a port number: use an integer from 0 to 65535 (0 picks a free one)`);
  }
  return port;
}

function readSecretKey(env: Env): Buffer | null {
  const raw = env.SECRET_KEY?.trim();
  if (raw === undefined || raw === "") return null;
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) {
    throw new ConfigError(
      "SECRET_KEY must be 64 hexadecimal characters (32 bytes): generate one with `openssl rand -hex 32`, " +
        "or unset it to use a key file created beside the database",
    );
  }
  return Buffer.from(raw, "hex");
}

function readOrigins(env: Env): string[] {
  const origins = readList(env, "CORS_ORIGINS");
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !["http:", "https:"].includes(url.protocol) || url.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS holds "${origin}", which is not an origin: list scheme://host[:port] values separated by commas, e.g. https://console.example.com`,
      );
    }
  }
  return origins;
}

function readProxies(env: Env): string[] {
  const proxies = readList(env, "TRUSTED_PROXIES");
  for (const proxy of proxies) {
    const [address, bits] = proxy.split("/");
    const family = isIP(address ?? "");
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || (bits !== undefined && !(Number(bits) >= 0 && Number(bits) <= maxBits))) {
      throw new ConfigError(
        `TRUSTED_PROXIES holds "${proxy}", which is not an IP address or CIDR range: e.g. TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1`,
      );
    }
  }
  return proxies;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "5s", "2m", "1h" → milliseconds. */
function parseDuration(name: string, text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new ConfigError(`${name} holds "${text}", which is not a duration: use e.g. 500ms, 5s, 2m or 1h`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

function readSchedule(env: Env): number[] {
  const raw = env.WEBHOOK_RETRY_SCHEDULE?.trim() || "5s,30s,2m,10m";
  const delays = raw.split(",").map((part) => parseDuration("WEBHOOK_RETRY_SCHEDULE", part));
  if (delays.length < 2 || delays.some((d, i) => d <= 0 || (i > 0 && d <= delays[i - 1]!))) {
    throw new ConfigError(
      `WEBHOOK_RETRY_SCHEDULE=${raw} must list at least 2 increasing delays after the first attempt, e.g. 5s,30s,2m,10m`,
    );
  }
  return delays;
}

function readInteger(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name}=${raw} must be a whole number of at least ${min}`);
  }
  return value;
}

export function loadConfig(env: Env = process.env): Config {
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL=${env.LOG_LEVEL} is unknown: use one of ${LOG_LEVELS.join(", ")}`);
  }
  const synchronous = (env.DATABASE_SYNCHRONOUS?.trim().toUpperCase() || "FULL") as SynchronousMode;
  if (!["NORMAL", "FULL", "EXTRA"].includes(synchronous)) {
    throw new ConfigError(
      `DATABASE_SYNCHRONOUS=${env.DATABASE_SYNCHRONOUS} is not allowed: use FULL (survives power loss) or NORMAL (survives a process crash)`,
    );
  }
  const host = env.HOST?.trim() || "127.0.0.1";
  const deprecations: string[] = [];
  // RATE_LIMIT_PER_TOKEN was the name while the limit already counted per user or organization
  const oldPerToken = env.RATE_LIMIT_PER_TOKEN?.trim();
  if (oldPerToken) {
    deprecations.push(
      env.RATE_LIMIT_PER_PRINCIPAL?.trim()
        ? "RATE_LIMIT_PER_TOKEN is ignored: RATE_LIMIT_PER_PRINCIPAL is set (remove RATE_LIMIT_PER_TOKEN)"
        : "RATE_LIMIT_PER_TOKEN is deprecated: rename it RATE_LIMIT_PER_PRINCIPAL (it counts per user or per organization, across their tokens)",
    );
  }
  const perPrincipalName = env.RATE_LIMIT_PER_PRINCIPAL?.trim() || !oldPerToken ? "RATE_LIMIT_PER_PRINCIPAL" : "RATE_LIMIT_PER_TOKEN";
  return Object.freeze({
    host,
    port: readPort(env),
    databasePath: resolve(env.DATABASE_PATH?.trim() || "./data/gatehouse.db"),
    databaseSynchronous: synchronous,
    logLevel,
    production: env.NODE_ENV === "production",
    secretKey: readSecretKey(env),
    corsOrigins: Object.freeze(readOrigins(env)),
    trustedProxies: Object.freeze(readProxies(env)),
    webhookAllowPrivateNetworks: readBoolean(env, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", false),
    webhookTimeoutMs: env.WEBHOOK_TIMEOUT?.trim() ? parseDuration("WEBHOOK_TIMEOUT", env.WEBHOOK_TIMEOUT) : 10_000,
    webhookRetrySchedule: Object.freeze(readSchedule(env)),
    webhookDispatcherEnabled: readBoolean(env, "WEBHOOK_DISPATCHER", true),
    introspection: readBoolean(env, "GRAPHQL_INTROSPECTION", env.NODE_ENV !== "production"),
    limits: Object.freeze({
      maxDepth: readInteger(env, "GRAPHQL_MAX_DEPTH", 10),
      maxAliases: readInteger(env, "GRAPHQL_MAX_ALIASES", 20),
      maxTokens: readInteger(env, "GRAPHQL_MAX_TOKENS", 2000),
      maxDirectives: readInteger(env, "GRAPHQL_MAX_DIRECTIVES", 20),
      maxCost: readInteger(env, "GRAPHQL_MAX_COST", 50_000),
      maxBodyBytes: readInteger(env, "MAX_BODY_BYTES", 8 * 1024 * 1024, 1024),
      maxResponseBytes: readInteger(env, "MAX_RESPONSE_BYTES", 16 * 1024 * 1024, 64 * 1024),
      compiledCacheBytes: readInteger(env, "GRAPHQL_COMPILED_CACHE_BYTES", 32 * 1024 * 1024, 1024 * 1024),
      requestTimeoutMs: env.REQUEST_TIMEOUT?.trim() ? parseDuration("REQUEST_TIMEOUT", env.REQUEST_TIMEOUT) : 30_000,
    }),
    rateLimits: Object.freeze({
      perPrincipal: readInteger(env, perPrincipalName, 1200),
      anonymousPerIp: readInteger(env, "RATE_LIMIT_ANONYMOUS_PER_IP", 120),
      authFailuresPerIp: readInteger(env, "RATE_LIMIT_AUTH_FAILURES_PER_IP", 20),
      refusalEventsPerPrincipal: readInteger(env, "AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL", 60),
    }),
    maxOrganizationsPerUser: readInteger(env, "MAX_ORGANIZATIONS_PER_USER", 10),
    deprecations: Object.freeze(deprecations),
  });
}
