import type { Logger } from 'pino';
import type { InvalidationBus } from '../auth/invalidation-bus';
import type { HitLimiter } from '../common/rate-limiter';
import type { RedisSettings } from '../config';
import { connectInvalidations } from './invalidations';
import { FleetRedis } from './redis';
import { SharedRateLimiter } from './shared-rate-limiter';

/**
 * Fleet mode (REDIS_URL): this process joins the others through Redis.
 * The invalidation bus is carried over pub/sub (every tokens replica and
 * gateway drops what a change on any of them touches), and rate limits can be
 * shared. Nothing here is on the request path except the rate limiters, each
 * call time-boxed. Without settings it is a no-op: one process, as before.
 */
export interface Fleet {
  redis: FleetRedis | null;
  /** A limiter shared by every instance (with per-instance fallback), or undefined without Redis. */
  rateLimiter?: (limit: number, name: 'token' | 'address') => HitLimiter;
  close(): Promise<void>;
}

export function startFleet(settings: RedisSettings | null, bus: InvalidationBus, logger: Logger): Fleet {
  if (!settings) return { redis: null, close: async () => undefined };
  const log = logger.child({ component: 'fleet' });
  const redis = new FleetRedis(settings, log);
  const disconnect = connectInvalidations(bus, redis, log);
  return {
    redis,
    rateLimiter: (limit, name) => new SharedRateLimiter(redis, name, limit, 60_000),
    async close() {
      disconnect();
      await redis.close();
    },
  };
}
