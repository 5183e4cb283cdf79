// Rate limits (per minute, fixed windows, in memory): per principal (a user, whichever of
// their tokens they use; an organization, whichever of its tokens); per client address for
// requests without a token; and per client address for failed authentications, so guessing
// tokens is throttled before any token work. IPv6 addresses count per /64 (what one host
// usually holds). Over a limit: HTTP 429, RATE_LIMITED, Retry-After. Limits are per server
// process (a fleet multiplies them).
import { isIPv6 } from "node:net";
import type { RateLimits } from "../config.js";

const WINDOW_MS = 60_000;
/** Keys kept per window, at most: past it the oldest entries go first. */
const MAX_KEYS = 100_000;

class FixedWindow {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();
  private prunedAt = 0;

  constructor(private readonly limit: number) {}

  /** Seconds until `key` may try again, or 0 while it is under the limit. Does not count. */
  wait(key: string, now: number): number {
    const entry = this.counts.get(key);
    if (!entry || entry.resetAt <= now || entry.count < this.limit) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
  }

  /** Counts one for `key`; the wait afterwards (0 while still within the limit). */
  hit(key: string, now: number): number {
    let entry = this.counts.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.counts.size >= MAX_KEYS) this.makeRoom(now);
      entry = { count: 0, resetAt: now + WINDOW_MS };
      this.counts.delete(key);
      this.counts.set(key, entry);
    }
    entry.count++;
    return entry.count > this.limit ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : 0;
  }

  private makeRoom(now: number): void {
    if (now - this.prunedAt > 1000) {
      this.prunedAt = now;
      for (const [key, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(key);
    }
    // still full: drop the oldest windows (a Map iterates in insertion order)
    for (const key of this.counts.keys()) {
      if (this.counts.size < MAX_KEYS) break;
      this.counts.delete(key);
    }
  }
}

/** The address a limit counts against: IPv4 as is, IPv6 by its /64. */
export function addressKey(ip: string): string {
  if (!ip.includes(":") || ip.includes(".") || !isIPv6(ip)) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const groups = [...headParts, ...Array(Math.max(0, 8 - headParts.length - tailParts.length)).fill("0"), ...tailParts];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

export class RateLimiter {
  private readonly principals: FixedWindow;
  private readonly anonymous: FixedWindow;
  private readonly failures: FixedWindow;

  constructor(limits: RateLimits) {
    this.principals = new FixedWindow(limits.perToken);
    this.anonymous = new FixedWindow(limits.anonymousPerIp);
    this.failures = new FixedWindow(limits.authFailuresPerIp);
  }

  /** Before reading the request: an address with too many failures waits (seconds), whatever it sends. */
  failuresWait(ip: string, now = Date.now()): number {
    return this.failures.wait(addressKey(ip), now);
  }

  authenticationFailed(ip: string, now = Date.now()): void {
    this.failures.hit(addressKey(ip), now);
  }

  /** After authenticating: the wait for this request (0: go ahead). */
  admit(key: { principal: string } | { anonymousIp: string }, now = Date.now()): number {
    return "principal" in key ? this.principals.hit(key.principal, now) : this.anonymous.hit(addressKey(key.anonymousIp), now);
  }
}
