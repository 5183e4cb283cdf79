import { hostname } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../src/config-schema.js";
import { type Config, ConfigError, loadConfig, type SynchronousMode } from "../src/config.js";

// The server refuses OFF (it loses acknowledged writes), so the type does not admit it either.
// @ts-expect-error OFF is not a mode the configuration allows
const off: SynchronousMode = "OFF";
void off;

const DEFAULTS: Config = {
  host: "127.0.0.1",
  port: 4000,
  databasePath: resolve("data/gatehouse.db"),
  databaseUrl: null,
  databasePoolSize: 10,
  databaseSynchronous: "FULL",
  logLevel: "info",
  production: false,
  secretKey: null,
  corsOrigins: [],
  trustedProxies: [],
  webhookAllowPrivateNetworks: false,
  webhookTimeoutMs: 10_000,
  webhookRetrySchedule: [5_000, 30_000, 120_000, 600_000],
  webhookDispatcherEnabled: true,
  introspection: true,
  limits: {
    maxDepth: 10,
    maxAliases: 20,
    maxTokens: 2000,
    maxDirectives: 20,
    maxCost: 50_000,
    maxBodyBytes: 8_388_608,
    maxResponseBytes: 16_777_216,
    compiledCacheBytes: 33_554_432,
    requestTimeoutMs: 30_000,
  },
  rateLimits: { perPrincipal: 1200, anonymousPerIp: 120, authFailuresPerIp: 20, refusalEventsPerPrincipal: 60, flushIntervalMs: 250 },
  maxOrganizationsPerUser: 10,
  serverId: `${hostname()}-${process.pid}`,
  drainTimeMs: 5000,
  deprecations: [],
};

describe("configuration", () => {
  it("with nothing set is the documented defaults, frozen all the way down", () => {
    const config = loadConfig({});
    expect(config).toEqual(DEFAULTS);
    for (const part of [config, config.limits, config.rateLimits, config.corsOrigins, config.trustedProxies, config.webhookRetrySchedule]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it("reads every variable, trimmed and in any case where a word is expected", () => {
    const config = loadConfig({
      HOST: " 0.0.0.0 ",
      PORT: "0",
      DATABASE_PATH: "/var/lib/gatehouse/main.db",
      DATABASE_SYNCHRONOUS: "extra",
      DATABASE_URL: " postgres://gatehouse:pw@db.example.test:5433/gatehouse ",
      DATABASE_POOL_SIZE: "7",
      LOG_LEVEL: "WARN",
      NODE_ENV: "production",
      SECRET_KEY: "0f".repeat(32),
      CORS_ORIGINS: "https://console.example.test, http://127.0.0.1:3000,",
      TRUSTED_PROXIES: "10.0.0.0/8,::1",
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "Yes",
      WEBHOOK_TIMEOUT: "1.5s",
      WEBHOOK_RETRY_SCHEDULE: "500ms,1m,1h",
      WEBHOOK_DISPATCHER: "0",
      GRAPHQL_INTROSPECTION: "true",
      GRAPHQL_MAX_DEPTH: "11",
      GRAPHQL_MAX_ALIASES: "12",
      GRAPHQL_MAX_TOKENS: "13",
      GRAPHQL_MAX_DIRECTIVES: "14",
      GRAPHQL_MAX_COST: "15",
      MAX_BODY_BYTES: "1024",
      MAX_RESPONSE_BYTES: "65536",
      GRAPHQL_COMPILED_CACHE_BYTES: "1048576",
      REQUEST_TIMEOUT: "2m",
      RATE_LIMIT_PER_PRINCIPAL: "16",
      RATE_LIMIT_ANONYMOUS_PER_IP: "17",
      RATE_LIMIT_AUTH_FAILURES_PER_IP: "18",
      AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL: "19",
      MAX_ORGANIZATIONS_PER_USER: "21",
      RATE_LIMIT_FLUSH_INTERVAL: "100ms",
      SERVER_ID: "gatehouse-a",
      DRAIN_TIME: "2s",
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 0,
      databasePath: "/var/lib/gatehouse/main.db",
      databaseUrl: "postgres://gatehouse:pw@db.example.test:5433/gatehouse",
      databasePoolSize: 7,
      databaseSynchronous: "EXTRA",
      logLevel: "warn",
      production: true,
      secretKey: Buffer.alloc(32, 0x0f),
      corsOrigins: ["https://console.example.test", "http://127.0.0.1:3000"],
      trustedProxies: ["10.0.0.0/8", "::1"],
      webhookAllowPrivateNetworks: true,
      webhookTimeoutMs: 1500,
      webhookRetrySchedule: [500, 60_000, 3_600_000],
      webhookDispatcherEnabled: false,
      introspection: true,
      limits: {
        maxDepth: 11,
        maxAliases: 12,
        maxTokens: 13,
        maxDirectives: 14,
        maxCost: 15,
        maxBodyBytes: 1024,
        maxResponseBytes: 65_536,
        compiledCacheBytes: 1_048_576,
        requestTimeoutMs: 120_000,
      },
      rateLimits: { perPrincipal: 16, anonymousPerIp: 17, authFailuresPerIp: 18, refusalEventsPerPrincipal: 19, flushIntervalMs: 100 },
      maxOrganizationsPerUser: 21,
      serverId: "gatehouse-a",
      drainTimeMs: 2000,
      deprecations: [],
    } satisfies Config);
    expect(loadConfig({ NODE_ENV: "production" }).introspection).toBe(false);
  });

  it("DATABASE_SYNCHRONOUS refuses OFF and names all three modes it allows", () => {
    expect(() => loadConfig({ DATABASE_SYNCHRONOUS: "OFF" })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_SYNCHRONOUS: "OFF" })).toThrow(
      "DATABASE_SYNCHRONOUS=OFF is not allowed: use FULL (survives power loss), EXTRA (FULL plus an fsync of the directory) or NORMAL (survives a process crash only)",
    );
    for (const mode of ["full", "EXTRA", "Normal"])
      expect(loadConfig({ DATABASE_SYNCHRONOUS: mode }).databaseSynchronous).toBe(mode.toUpperCase());
  });

  it("DATABASE_URL is allowed with SECRET_KEY, postgres:// or postgresql://", () => {
    const key = "ab".repeat(32);
    for (const url of ["postgres://gatehouse@127.0.0.1:5432/gatehouse", "postgresql://u:p@db.example.test/gh?sslmode=require"]) {
      const config = loadConfig({ DATABASE_URL: url, SECRET_KEY: key });
      expect(config.databaseUrl).toBe(url);
      expect(config.secretKey).toEqual(Buffer.from(key, "hex"));
    }
    // blank is unset: SQLite, and no key needed
    expect(loadConfig({ DATABASE_URL: "  " }).databaseUrl).toBeNull();
    expect(loadConfig({ DATABASE_POOL_SIZE: "3" }).databasePoolSize).toBe(3);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: "0" })).toThrow("DATABASE_POOL_SIZE=0 must be a whole number of at least 1");
  });

  it("DATABASE_URL without SECRET_KEY is refused, saying why and how to fix it", () => {
    const start = () => loadConfig({ DATABASE_URL: "postgres://gatehouse@127.0.0.1:5432/gatehouse" });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(
      "SECRET_KEY is required with DATABASE_URL (every server on the database must use the same key): " +
        "generate one with `openssl rand -hex 32` and give the same value to every server",
    );
  });

  it("a bad DATABASE_URL is refused without repeating it (it may hold a password)", () => {
    const key = "ab".repeat(32);
    const messageOf = (url: string) => {
      try {
        loadConfig({ DATABASE_URL: url, SECRET_KEY: key });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error(`loadConfig accepted DATABASE_URL=${url}`);
    };
    const notUrl = messageOf("gatehouse@hunter2 localhost/gatehouse");
    expect(notUrl).toBe("DATABASE_URL is not a URL: use postgres://user[:password]@host[:port]/database");
    expect(notUrl).not.toContain("hunter2");
    const mysql = messageOf("mysql://root:hunter2@localhost/gatehouse");
    expect(mysql).toBe("DATABASE_URL must start with postgres:// (or postgresql://): SQLite needs no URL, set DATABASE_PATH instead");
    expect(mysql).not.toContain("hunter2");
    expect(messageOf("file:./data/gatehouse.db")).toContain("must start with postgres://");
  });

  it("says how to fix every bad value at once, and never repeats a secret", () => {
    const error = (() => {
      try {
        loadConfig({ PORT: "http", GRAPHQL_MAX_DEPTH: "0", SECRET_KEY: "not-hex-but-secret" });
      } catch (e) {
        return e as Error;
      }
      throw new Error("loadConfig accepted bad values");
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      "PORT=http is not a port number: use an integer from 0 to 65535 (0 picks a free one); " +
        "SECRET_KEY must be 64 hexadecimal characters (32 bytes): generate one with `openssl rand -hex 32`, or unset it to use a key file created beside the database; " +
        "GRAPHQL_MAX_DEPTH=0 must be a whole number of at least 1",
    );
  });

  it("declares every variable with a type, a default and a description", () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(setting.type, name).not.toBe("");
      expect(setting.default, name).not.toBe("");
      expect(setting.description, name).not.toBe("");
    }
  });
});
