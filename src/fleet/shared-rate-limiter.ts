import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { HitLimiter, RateLimiter } from '../common/rate-limiter';
import type { FleetRedis } from './redis';

/**
 * A fixed-window budget per key shared by every instance through Redis
 * (rate-limiter-flexible's RateLimiterRedis: one atomic Lua INCR-with-expiry
 * per hit, so N gateways together admit exactly the budget). The counters keep
 * no limit of their own: `hit(key, limit)` compares the shared count with the
 * caller's limit, so a per-call limit (per-token limits) needs no limiter per
 * value. When Redis does not answer within REDIS_TIMEOUT_MS, or is down, the
 * decision falls back to an in-memory RateLimiter of this instance (per-instance
 * limits, never none), and the shared counters are used again as soon as Redis
 * is back.
 */
export class SharedRateLimiter implements HitLimiter {
  private readonly shared: RateLimiterRedis;
  private readonly local: RateLimiter;

  constructor(
    redis: FleetRedis,
    /** Names the counters: token, address. */
    name: string,
    private readonly limit: number,
    windowMs: number,
  ) {
    this.shared = new RateLimiterRedis({
      storeClient: redis.commands,
      keyPrefix: redis.key(`rl:${name}`),
      points: Number.MAX_SAFE_INTEGER,
      duration: Math.max(1, Math.round(windowMs / 1000)),
      // Not ready (disconnected, reconnecting): refuse at once rather than wait for the command timeout.
      rejectIfRedisNotReady: true,
    });
    this.local = new RateLimiter(limit, windowMs);
  }

  async hit(key: string, limit: number = this.limit): Promise<boolean> {
    let consumed: number;
    try {
      consumed = ((await this.shared.consume(key, 1)) as RateLimiterRes).consumedPoints;
    } catch {
      // rate-limiter-flexible's insuranceLimiter would do this too, but with a fixed budget: this
      // fallback takes the same per-call limit.
      return this.local.hit(key, limit);
    }
    return consumed <= limit;
  }
}
