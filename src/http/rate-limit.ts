// Rate limits (per minute, fixed windows) on @fastify/rate-limit's stores, three limiters:
// - per principal, after authentication: a user (whichever of their tokens they use) or an
//   organization (whichever of its tokens); RATE_LIMIT_PER_PRINCIPAL;
// - per client address for requests without a token; RATE_LIMIT_ANONYMOUS_PER_IP;
// - per client address for failed authentications: past RATE_LIMIT_AUTH_FAILURES_PER_IP a
//   failing request is answered 429 instead of 401. Only failures count and only failures are
//   refused: a request whose token verifies never meets this limiter (a CI job with a typo
//   behind a shared NAT does not lock out the pipelines beside it).
// IPv6 addresses count per /64 (what one host usually holds), IPv4-mapped ones as IPv4.
// Over a limit: HTTP 429, RATE_LIMITED, Retry-After.
//
// Counts live in the plugin's in-memory LocalStore (fixed windows in an LRU of 100,000 keys;
// per process: a fleet multiplies the limits) unless a store is given: any implementation of
// @fastify/rate-limit's store interface (`incr(key, cb, timeWindow, max)`, `child(options)`,
// e.g. the plugin's own Redis store) makes the limits fleet-wide, with no other change here.
// On PostgreSQL the composition root (src/server.ts) gives the fleet's store of
// src/db/postgres/rate-limit-store.ts, which answers synchronously too. Each limiter is a child
// named by `routeInfo.url` (`principal`, `anonymous`, `auth-failures`): the key of its counts
// there, and of a Redis store's.
//
// What is hand-written, and why: the plugin's request path (its route hooks, and the
// limiters `createRateLimit` builds) is async — about five promise turns per request — and
// that cost the smallest request (S1 of the benchmark) 5% of its throughput in paired runs
// (0.950 of the previous code; 0.998 without it). It also cannot count only the requests
// that fail to authenticate. So the authentication hook picks the limiter and key itself and
// calls the store's `incr` directly, which the in-memory store answers synchronously: these
// few lines are all that replaced the plugin's hook.
import { createRequire } from "node:module";
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyRequest } from "fastify";
import ipaddr from "ipaddr.js";
import type { Principal } from "../auth/principal.js";
import type { RateLimits } from "../config.js";

const WINDOW_MS = 60_000;
/** Keys kept per limiter (least recently used go first): one per active principal or address. */
const MAX_KEYS = 100_000;

/** The plugin's in-memory store (what it uses itself without a `store` or `redis` option); the version is pinned. */
const LocalStore = createRequire(import.meta.url)("@fastify/rate-limit/store/LocalStore.js") as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => FastifyRateLimitStore;

/** The address a limit counts against: IPv4 as is, IPv6 by its /64, IPv4-mapped IPv6 as IPv4. */
export function addressKey(ip: string): string {
  if (!ip.includes(":")) return ip; // IPv4: nothing to parse
  try {
    const address = ipaddr.process(ip);
    if (address.kind() === "ipv4") return address.toString();
    const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${address.toNormalizedString()}/64`);
    return `${prefix.toString()}/64`;
  } catch {
    return ip;
  }
}

/** Called with the seconds to wait (0: go ahead), or the store's error. */
export type Admission = (error: Error | null, wait: number) => void;

export interface RateLimiters {
  /** Counts an authenticated request (one without a token by its address). */
  admit(request: FastifyRequest, principal: Principal, then: Admission): void;
  /** Counts a failed authentication: a wait above 0 means answer 429 rather than 401. */
  failed(request: FastifyRequest, then: Admission): void;
}

export function createRateLimits(limits: RateLimits, Store?: FastifyRateLimitStoreCtor): RateLimiters {
  // as the plugin does: one store, and a child of it for each limiter (a Redis store keys them apart)
  const root = Store ? new Store({ timeWindow: WINDOW_MS, cache: MAX_KEYS }) : null;
  const store = (name: string, max: number): FastifyRateLimitStore =>
    root
      ? root.child({ max, timeWindow: WINDOW_MS, routeInfo: { method: "", url: name } } as never)
      : new LocalStore(false, false, MAX_KEYS);
  const count = (limiter: FastifyRateLimitStore, max: number, key: string, then: Admission) =>
    limiter.incr(
      key,
      (error, result) => {
        if (error || !result) return then(error ?? new Error("the rate-limit store returned nothing"), 0);
        then(null, result.current > max ? Math.max(1, Math.ceil(result.ttl / 1000)) : 0);
      },
      WINDOW_MS,
      max,
    );
  const principals = store("principal", limits.perPrincipal);
  const anonymous = store("anonymous", limits.anonymousPerIp);
  const failures = store("auth-failures", limits.authFailuresPerIp);
  return {
    admit(request, principal, then) {
      if (principal.kind === "USER") count(principals, limits.perPrincipal, `user:${principal.user.id}`, then);
      else if (principal.kind === "ORGANIZATION_TOKEN") count(principals, limits.perPrincipal, `org:${principal.organization.id}`, then);
      else count(anonymous, limits.anonymousPerIp, `anon:${addressKey(request.ip)}`, then);
    },
    failed(request, then) {
      count(failures, limits.authFailuresPerIp, `authfail:${addressKey(request.ip)}`, then);
    },
  };
}
