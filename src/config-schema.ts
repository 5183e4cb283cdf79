// Every environment variable Gatehouse reads, declared once: its type, its default and what it
// does (the README's configuration table is rendered from this: `npm run docs:config`), and
// the zod schema that parses its text, whose messages say how to fix a bad value.
// src/config.ts turns the parsed variables into the frozen Config the code uses.
import { isIP } from "node:net";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { z } from "zod";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** SQLite `synchronous` modes Gatehouse runs with (OFF is refused: it loses acknowledged writes). */
export const SYNCHRONOUS_MODES = ["FULL", "EXTRA", "NORMAL"] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

type Text = string | undefined;

/** One variable: the README's row (type, default, meaning) and the schema that reads its text. */
export interface Setting<T> {
  readonly type: string;
  readonly default: string;
  readonly description: string;
  /** The schema for the variable `name` (its messages name it). */
  readonly schema: (name: string) => z.ZodType<T, Text>;
}

/** A bad value: the message says what is wrong and how to fix it. */
class BadValue extends Error {}

/** How a variable's trimmed text becomes its value, for the variable `name`; throws a BadValue. */
type Parse<T> = (text: string, name: string) => T;

/**
 * A variable of `type` (as the README shows it): unset or blank → `fallback`; otherwise
 * `parse(trimmed text)`, where a thrown BadValue becomes the variable's issue.
 */
function setting<T>(type: string, shownDefault: string, description: string, parse: Parse<T>, fallback: (name: string) => T): Setting<T> {
  const schema = (name: string) =>
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const text = raw?.trim();
        if (!text) return fallback(name);
        try {
          return parse(text, name);
        } catch (error) {
          if (!(error instanceof BadValue)) throw error;
          ctx.addIssue({ code: "custom", message: error.message });
          return z.NEVER;
        }
      });
  return { type, default: shownDefault, description, schema };
}

const code = (value: string | number) => `\`${value}\``;

const host = (fallback: string, description: string) =>
  setting(
    "host name or address",
    code(fallback),
    description,
    (t) => t,
    () => fallback,
  );

const path = (fallback: string, description: string) =>
  setting(
    "file path",
    code(fallback),
    description,
    (t) => resolve(t),
    () => resolve(fallback),
  );

const port = (fallback: number, description: string) =>
  setting(
    "integer 0–65535",
    code(fallback),
    description,
    (t, name) => {
      const value = Number(t);
      if (Number.isInteger(value) && value >= 0 && value <= 65535) return value;
      throw new BadValue(`${name}=${t} is not a port number: use an integer from 0 to 65535 (0 picks a free one)`);
    },
    () => fallback,
  );

/** A whole number of at least `min`; with no `fallback`, unset reads as undefined. */
function integer<F extends number | undefined>(fallback: F, description: string, min = 1): Setting<number | F> {
  const parse: Parse<number> = (t, name) => {
    const value = Number(t);
    if (Number.isInteger(value) && value >= min) return value;
    throw new BadValue(`${name}=${t} must be a whole number of at least ${min}`);
  };
  return setting<number | F>(`integer ≥ ${min}`, fallback === undefined ? "—" : code(fallback), description, parse, () => fallback);
}

/** true/1/yes or false/0/no, any case; with no `fallback`, unset reads as undefined. */
function flag<F extends boolean | undefined>(
  fallback: F,
  description: string,
  shownDefault = code(String(fallback)),
): Setting<boolean | F> {
  const parse: Parse<boolean> = (t, name) => {
    if (["true", "1", "yes"].includes(t.toLowerCase())) return true;
    if (["false", "0", "no"].includes(t.toLowerCase())) return false;
    throw new BadValue(`${name}=${t} is not a boolean: use true or false`);
  };
  return setting<boolean | F>("`true` or `false`", shownDefault, description, parse, () => fallback);
}

/** One of `values`, matched in their case (`LOG_LEVEL=INFO` is `info`); `advice` says which to pick. */
function oneOf<const V extends readonly [string, ...string[]]>(values: V, fallback: V[number], description: string, advice: string) {
  const choice = z.enum(values);
  const lower = values.every((v) => v === v.toLowerCase());
  const parse: Parse<V[number]> = (t, name) => {
    const parsed = choice.safeParse(lower ? t.toLowerCase() : t.toUpperCase());
    if (parsed.success) return parsed.data;
    throw new BadValue(`${name}=${t} ${advice}`);
  };
  return setting(values.map(code).join(", "), code(fallback), description, parse, () => fallback);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "5s", "2m", "1h" → milliseconds. */
const milliseconds: Parse<number> = (text, name) => {
  const match = DURATION.exec(text.trim());
  if (!match) throw new BadValue(`${name} holds "${text}", which is not a duration: use e.g. 500ms, 5s, 2m or 1h`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
};

const duration = (fallback: string, description: string) =>
  setting("duration (`500ms`, `5s`, `2m`, `1h`)", code(fallback), description, milliseconds, (name) => milliseconds(fallback, name));

/** A duration from `minMs` (a bare `0` reads as 0 when `minMs` is 0). */
function durationFrom(minMs: number, fallback: string, description: string): Setting<number> {
  const parse: Parse<number> = (t, name) => {
    const ms = t === "0" ? 0 : milliseconds(t, name);
    if (ms >= minMs) return ms;
    throw new BadValue(`${name}=${t} is too short: use at least ${minMs}ms`);
  };
  return setting(
    `duration (\`500ms\`, \`5s\`)${minMs > 0 ? `, at least \`${minMs}ms\`` : " or `0`"}`,
    code(fallback),
    description,
    parse,
    (name) => parse(fallback, name),
  );
}

const SERVER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** This process in the logs of a fleet: the host name and the process id unless set. */
const serverId = setting<string>(
  "1–64 letters, digits, `.` `_` `:` `-`",
  "`<host name>-<pid>`",
  "names this server on every log line (`serverId`): e.g. the instance or pod name",
  (t, name) => {
    if (SERVER_ID.test(t)) return t;
    throw new BadValue(`${name}=${t} must be 1 to 64 letters, digits, ".", "_", ":" or "-"`);
  },
  () => `${hostname()}-${process.pid}`,
);

function schedule(fallback: string, description: string): Setting<number[]> {
  const parse: Parse<number[]> = (t, name) => {
    const delays = t.split(",").map((part) => milliseconds(part, name));
    if (delays.length < 2 || delays.some((d, i) => d <= 0 || (i > 0 && d <= delays[i - 1]!))) {
      throw new BadValue(`${name}=${t} must list at least 2 increasing delays after the first attempt, e.g. ${fallback}`);
    }
    return delays;
  };
  return setting("increasing durations, comma-separated (at least 2)", code(fallback), description, parse, (name) => parse(fallback, name));
}

/** Comma-separated values, blanks dropped, each checked by `check` (which throws a BadValue). */
function list(type: string, description: string, check: (item: string, name: string) => void): Setting<string[]> {
  const parse: Parse<string[]> = (t, name) => {
    const items = t
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    for (const item of items) check(item, name);
    return items;
  };
  return setting(type, "none", description, parse, () => []);
}

function checkOrigin(origin: string, name: string): void {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.origin !== origin) {
    throw new BadValue(
      `${name} holds "${origin}", which is not an origin: list scheme://host[:port] values separated by commas, e.g. https://console.example.com`,
    );
  }
}

function checkProxy(proxy: string, name: string): void {
  const [address, bits] = proxy.split("/");
  const family = isIP(address ?? "");
  const maxBits = family === 6 ? 128 : 32;
  if (family === 0 || (bits !== undefined && !(Number(bits) >= 0 && Number(bits) <= maxBits))) {
    throw new BadValue(`${name} holds "${proxy}", which is not an IP address or CIDR range: e.g. ${name}=10.0.0.0/8,127.0.0.1`);
  }
}

const secretKey = setting<Buffer | null>(
  "64 hexadecimal characters",
  "key file",
  "32 bytes for secrets at rest; without it a key is created in `secret.key` beside the database (mode 0600). It signs pagination cursors and encrypts webhook secrets",
  (t, name) => {
    if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
    // the value is a secret: the message does not repeat it
    throw new BadValue(
      `${name} must be 64 hexadecimal characters (32 bytes): generate one with \`openssl rand -hex 32\`, ` +
        "or unset it to use a key file created beside the database",
    );
  },
  () => null,
);

const databaseUrl = setting<string | null>(
  "`postgres://` URL",
  "—",
  "PostgreSQL instead of SQLite: e.g. `postgres://gatehouse@127.0.0.1:5432/gatehouse`; requires `SECRET_KEY`. `DATABASE_PATH` then only names where the first-start token file goes",
  (t, name) => {
    let url: URL;
    try {
      url = new URL(t);
    } catch {
      // may hold a password: the message does not repeat it
      throw new BadValue(`${name} is not a URL: use postgres://user[:password]@host[:port]/database`);
    }
    if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
      throw new BadValue(`${name} must start with postgres:// (or postgresql://): SQLite needs no URL, set DATABASE_PATH instead`);
    }
    return t;
  },
  () => null,
);

const nodeEnv: Setting<boolean> = {
  type: "text",
  default: "—",
  description: "`production` for stricter defaults (introspection off)",
  // compared as it is, untrimmed, as Node's ecosystem does
  schema: () =>
    z
      .string()
      .optional()
      .transform((raw) => raw === "production"),
};

/** The variables, in the order of the README's table. */
export const SETTINGS = {
  HOST: host("127.0.0.1", "the address the server listens on"),
  PORT: port(4000, "the port it listens on (`0` picks a free port)"),
  DATABASE_PATH: path(
    "./data/gatehouse.db",
    "SQLite file; created and migrated at start-up (with `DATABASE_URL`: only where the first-start and demo token files go, beside it)",
  ),
  DATABASE_SYNCHRONOUS: oneOf(
    SYNCHRONOUS_MODES,
    "FULL",
    "`FULL`: an acknowledged write survives power loss (one fsync per commit); `EXTRA`: FULL plus an fsync of the directory; `NORMAL`: survives a process crash only",
    "is not allowed: use FULL (survives power loss), EXTRA (FULL plus an fsync of the directory) or NORMAL (survives a process crash only)",
  ),
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: integer(10, "PostgreSQL: connections of this process at most"),
  LOG_LEVEL: oneOf(LOG_LEVELS, "info", "what the server logs", `is unknown: use one of ${LOG_LEVELS.join(", ")}`),
  SERVER_ID: serverId,
  DRAIN_TIME: durationFrom(
    0,
    "5s",
    "on SIGTERM, how long `/readyz` answers 503 (so the load balancer stops sending) while requests are still served, before the server stops accepting; `0`: none",
  ),
  NODE_ENV: nodeEnv,
  SECRET_KEY: secretKey,
  CORS_ORIGINS: list(
    "origins, comma-separated",
    "origins of a console on another origin, matched exactly: scheme, host and port (`http://localhost:3000` is not `http://127.0.0.1:3000`; list both to use both). An allowed origin may read `X-Request-Id`, `Retry-After` and `Content-Disposition`, on refusals (401, 429) too. A refused origin gets no `Access-Control-Allow-Origin` (its preflight is answered 204 without it): the browser then never sends a JSON POST and withholds any other answer, and `fetch` fails with a network error (`TypeError: Failed to fetch` in Chromium)",
    checkOrigin,
  ),
  TRUSTED_PROXIES: list("IP addresses or CIDR ranges, comma-separated", "reverse proxies whose `X-Forwarded-For` is believed", checkProxy),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: flag(false, "let webhooks reach private and loopback addresses (development, tests)"),
  WEBHOOK_TIMEOUT: duration("10s", "one delivery attempt gives up after this long"),
  WEBHOOK_RETRY_SCHEDULE: schedule("5s,30s,2m,10m", "retries, as delays after the event was queued (±20% jitter)"),
  WEBHOOK_DISPATCHER: flag(true, "`false` leaves events queued in the outbox (maintenance, tests)"),
  GRAPHQL_INTROSPECTION: flag(undefined, "introspection (the playground's docs)", "`true`; `false` when `NODE_ENV=production`"),
  GRAPHQL_MAX_DEPTH: integer(10, "deepest nesting of selections in a document"),
  GRAPHQL_MAX_ALIASES: integer(20, "aliases in a document"),
  GRAPHQL_MAX_DIRECTIVES: integer(20, "directives in a document"),
  GRAPHQL_MAX_TOKENS: integer(2000, "tokens in a document (the parser stops there)"),
  GRAPHQL_MAX_COST: integer(50_000, "cost of an operation as it will run, with variables and defaults applied (≈ fields resolved)"),
  GRAPHQL_COMPILED_CACHE_BYTES: integer(32 * 1024 * 1024, "compiled queries kept, by estimated size", 1024 * 1024),
  MAX_BODY_BYTES: integer(8 * 1024 * 1024, "larger bodies get 413", 1024),
  MAX_RESPONSE_BYTES: integer(16 * 1024 * 1024, "payloads, state, deliveries and exports one response may carry", 64 * 1024),
  REQUEST_TIMEOUT: duration("30s", "a request not answered by then gets 503"),
  RATE_LIMIT_PER_PRINCIPAL: integer(
    1200,
    "requests per minute of a user (across their tokens) or an organization (across its tokens); per process on SQLite, across the servers on PostgreSQL",
  ),
  RATE_LIMIT_PER_TOKEN: integer(
    undefined,
    "deprecated: the old name of `RATE_LIMIT_PER_PRINCIPAL`, read when that is unset, with a warning at start",
  ),
  RATE_LIMIT_ANONYMOUS_PER_IP: integer(
    120,
    "requests per minute without a token, per client address (IPv6: per /64); per process on SQLite, across the servers on PostgreSQL",
  ),
  RATE_LIMIT_AUTH_FAILURES_PER_IP: integer(
    20,
    "failed authentications per minute from one address (per process on SQLite, across the servers on PostgreSQL); past it, failing requests get 429 (valid tokens still pass)",
  ),
  RATE_LIMIT_FLUSH_INTERVAL: durationFrom(
    10,
    "250ms",
    "PostgreSQL: how often each server adds its rate-limit counts to the fleet's and reads the fleet's totals; the limits are fleet-wide, overshooting by at most what a principal sends in about two intervals (README: Running several servers)",
  ),
  AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL: integer(
    60,
    "`auth-failure-*` events per user or organization and minute; the rest are counted in a summary event",
  ),
  MAX_ORGANIZATIONS_PER_USER: integer(10, "organizations a user may have created and still belong to (site admins: no limit)"),
} as const;

type Settings = typeof SETTINGS;
type Shape = { [K in keyof Settings]: ReturnType<Settings[K]["schema"]> };

/** The environment's schema: parses every variable of SETTINGS, reporting every bad one. */
export const ENV_SCHEMA = z.object(
  Object.fromEntries(Object.entries(SETTINGS).map(([name, setting]) => [name, setting.schema(name)])) as Shape,
);
export type Env = z.infer<typeof ENV_SCHEMA>;
