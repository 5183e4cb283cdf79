// Rate limits (per minute, fixed windows, in memory): per token; per client address for
// requests without a token; and per client address for failed authentications, so guessing
// tokens is throttled before any token work. Over a limit: HTTP 429, RATE_LIMITED,
// Retry-After. Limits are per server process (a fleet multiplies them).
import type { RateLimits } from "../config.js";

const WINDOW_MS = 60_000;

class FixedWindow {
  private readonly counts = new Map<string, { count: number; resetAt: number }>();

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
      if (this.counts.size > 50_000) this.prune(now);
      entry = { count: 0, resetAt: now + WINDOW_MS };
      this.counts.set(key, entry);
    }
    entry.count++;
    return entry.count > this.limit ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : 0;
  }

  private prune(now: number): void {
    for (const [key, entry] of this.counts) if (entry.resetAt <= now) this.counts.delete(key);
  }
}

export class RateLimiter {
  private readonly tokens: FixedWindow;
  private readonly anonymous: FixedWindow;
  private readonly failures: FixedWindow;

  constructor(limits: RateLimits) {
    this.tokens = new FixedWindow(limits.perToken);
    this.anonymous = new FixedWindow(limits.anonymousPerIp);
    this.failures = new FixedWindow(limits.authFailuresPerIp);
  }

  /** Before authenticating: an address with too many failures waits (seconds), whatever it sends. */
  failuresWait(ip: string, now = Date.now()): number {
    return this.failures.wait(ip, now);
  }

  authenticationFailed(ip: string, now = Date.now()): void {
    this.failures.hit(ip, now);
  }

  /** After authenticating: the wait for this request (0: go ahead). */
  admit(key: { tokenId: string } | { anonymousIp: string }, now = Date.now()): number {
    return "tokenId" in key ? this.tokens.hit(key.tokenId, now) : this.anonymous.hit(key.anonymousIp, now);
  }
}
