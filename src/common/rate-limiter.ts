import type { MaybePromise } from './maybe-promise';

/**
 * A request budget per key. `hit` counts one request and answers whether it is
 * within `limit` (the limiter's configured default when omitted) for the key's
 * current window. In memory (RateLimiter, per instance) or shared by every
 * instance through Redis (src/fleet/shared-rate-limiter.ts), which falls back to
 * a RateLimiter while Redis is unreachable.
 */
export interface HitLimiter {
  hit(key: string, limit?: number): MaybePromise<boolean>;
}

/**
 * A fixed-window counter per key, in memory. Bounded: windows that ended are
 * swept when the map grows. Per instance; with REDIS_URL the gateway shares its
 * limits through Redis instead, and keeps one of these as the fallback.
 */
export class RateLimiter implements HitLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly nowMs: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Count one hit; false when the key is over `limit` (default: the configured one) in the current window. */
  hit(key: string, limit: number = this.limit): boolean {
    const now = this.nowMs();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count <= limit;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
    if (this.windows.size >= this.maxKeys) this.windows.clear();
  }
}
