// Rate limits (per minute, fixed windows) on @fastify/rate-limit, three limiters:
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
// Counts live in the plugin's in-memory store (per process: a fleet multiplies the limits)
// unless a store is given: any implementation of @fastify/rate-limit's store interface
// (`incr(key, cb, timeWindow, max)`, `child(options)`, e.g. the plugin's own Redis store)
// makes the limits fleet-wide, with no other change here.
//
// The plugin's route hooks are not used: a limit applies after authentication, which decides
// which limiter and key a request gets, so the hook in authenticate-request.ts calls the
// limiters the plugin builds (createRateLimit).
import rateLimit, { type FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import ipaddr from "ipaddr.js";
import type { Principal } from "../auth/principal.js";
import type { RateLimits } from "../config.js";

const WINDOW_MS = 60_000;
/** Keys kept per limiter (least recently used go first): one per active principal or address. */
const MAX_KEYS = 100_000;

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

const principalKey = (principal: Principal, ip: string): string =>
  principal.kind === "USER"
    ? `user:${principal.user.id}`
    : principal.kind === "ORGANIZATION_TOKEN"
      ? `org:${principal.organization.id}`
      : `anon:${addressKey(ip)}`;

export interface RateLimiters {
  /** Counts an authenticated request (anonymous ones by address): seconds to wait, 0 to go ahead. */
  admit(request: FastifyRequest, principal: Principal): Promise<number>;
  /** Counts a failed authentication: seconds to wait (answer 429), or 0 (answer 401). */
  failed(request: FastifyRequest): Promise<number>;
}

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;

const waitOf = (limiter: Limiter, request: FastifyRequest): Promise<number> =>
  limiter(request).then((result) => (!result.isAllowed && result.isExceeded ? Math.max(1, result.ttlInSeconds) : 0));

export async function registerRateLimits(fastify: FastifyInstance, limits: RateLimits, store?: FastifyRateLimitStoreCtor): Promise<RateLimiters> {
  await fastify.register(rateLimit, { global: false, timeWindow: WINDOW_MS, cache: MAX_KEYS, ...(store ? { store } : {}) });
  // each limiter gets its own child of the store; `cache` sizes the in-memory one
  const limiter = (max: number, key: (request: FastifyRequest) => string): Limiter =>
    fastify.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: key, cache: MAX_KEYS } as Parameters<FastifyInstance["createRateLimit"]>[0]);
  const keyOf = (request: FastifyRequest) => principalKey(request.gatehouse!.caller.principal, request.ip);
  const principals = limiter(limits.perPrincipal, keyOf);
  const anonymous = limiter(limits.anonymousPerIp, keyOf);
  const failures = limiter(limits.authFailuresPerIp, (request) => `authfail:${addressKey(request.ip)}`);
  return {
    admit: (request, principal) => waitOf(principal.kind === "ANONYMOUS" ? anonymous : principals, request),
    failed: (request) => waitOf(failures, request),
  };
}
