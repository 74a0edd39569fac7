import { Writable } from 'node:stream';
import { register } from 'prom-client';
import { InvalidationBus } from '../../src/auth/invalidation-bus';
import { createLogger } from '../../src/logger';
import { FleetRedis } from '../../src/fleet/redis';
import { SharedRateLimiter } from '../../src/fleet/shared-rate-limiter';
import { connectInvalidations } from '../../src/fleet/invalidations';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startRedis } = require('../support/redis-server.cjs');

/*
 * The fleet's Redis pieces against a real redis-server: a budget shared by two limiters (two
 * gateways), the per-call limit, the per-instance fallback when Redis is down or frozen (a call never
 * waits past REDIS_TIMEOUT_MS), and the return to shared counting once Redis is back.
 */
type Redis = { url: string; halt(): Promise<void>; restart(): Promise<void>; stop(): Promise<void>; pause(): void; resume(): void };

let redis: Redis;
const loggerInto = (lines: string[]) => createLogger('info', new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
const logger = loggerInto([]);
const open: FleetRedis[] = [];
/** A process's connections; `logs` collects what it logs. */
const connect = (logs: string[] = []) => {
  const r = new FleetRedis({ url: redis.url, keyPrefix: `t${process.pid}:`, timeoutMs: 100 }, loggerInto(logs));
  open.push(r);
  return r;
};
const redisUp = async () => (await register.getSingleMetric('tokengate_redis_up')?.get())?.values[0]?.value;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await sleep(25);
  }
  throw new Error(`${what}: not within 10 s`);
}
async function hits(limiter: SharedRateLimiter, key: string, n: number, limit?: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if (await limiter.hit(key, limit)) allowed++;
  return allowed;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const r of open) await r.close();
  await redis?.stop();
});

test('two limiters on one Redis share one budget; a per-call limit overrides the default for that call', async () => {
  const [a, b] = [connect(), connect()];
  await until(() => a.up && b.up, 'connected');
  const ga = new SharedRateLimiter(a, 'token', 10, 60_000);
  const gb = new SharedRateLimiter(b, 'token', 10, 60_000);
  expect((await hits(ga, 'k1', 6)) + (await hits(gb, 'k1', 6))).toBe(10);
  expect(await hits(ga, 'k2', 5, 3)).toBe(3);
  expect(await hits(gb, 'k2', 5, 100)).toBe(5); // the same counter (8 hits so far) under a larger limit
  // Another name is another counter.
  expect(await hits(new SharedRateLimiter(a, 'address', 2, 60_000), 'k1', 3)).toBe(2);
  await a.close();
  await b.close();
});

test('Redis frozen or down: decisions fall back to per-instance limits without waiting; shared again once it is back', async () => {
  const logs: string[] = [];
  const r = connect(logs);
  await until(() => r.up, 'connected');
  const limiter = new SharedRateLimiter(r, 'token', 5, 60_000);
  expect(await hits(limiter, 'slow', 5)).toBe(5);
  expect(await limiter.hit('slow')).toBe(false);

  redis.pause();
  // Each call gives up after REDIS_TIMEOUT_MS: the fallback counts this instance's hits from zero.
  const answered = await Promise.race([hits(limiter, 'slow', 6).then((n) => n), sleep(5_000).then(() => 'hung')]);
  expect(answered).toBe(5);
  redis.resume();

  await redis.halt();
  await until(() => !r.up, 'disconnected');
  expect(await redisUp()).toBe(0);
  // Once for this process's outage, however many calls failed meanwhile.
  expect(await hits(limiter, 'fresh', 7)).toBe(5); // per instance, not unlimited
  expect(logs.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1);

  await redis.restart();
  await until(() => r.up, 'reconnected');
  expect(await redisUp()).toBe(1);
  expect(logs.some((l) => l.includes('Redis reachable again'))).toBe(true);
  const other = connect();
  await until(() => other.up, 'second instance connected');
  const limiter2 = new SharedRateLimiter(other, 'token', 5, 60_000);
  expect((await hits(limiter, 'after', 3)) + (await hits(limiter2, 'after', 3))).toBe(5);
});

test('a subscriber that loses Redis drops its whole cache when it subscribes again; messages from others arrive, its own do not', async () => {
  const [ra, rb] = [connect(), connect()];
  const [busA, busB] = [new InvalidationBus(), new InvalidationBus()];
  const heardB: unknown[] = [];
  const heardA: unknown[] = [];
  busA.subscribe((c, origin) => origin === 'remote' && heardA.push(c));
  busB.subscribe((c, origin) => origin === 'remote' && heardB.push(c));
  connectInvalidations(busA, ra, logger);
  connectInvalidations(busB, rb, logger);
  await until(() => heardA.length === 1 && heardB.length === 1, 'first subscriptions');
  expect(heardB).toEqual([{ all: true }]); // the first subscription too: anything before it may be missed

  busA.publish({ tokenId: 't1' });
  await until(() => heardB.length === 2, 'message delivered');
  expect(heardB[1]).toEqual({ tokenId: 't1' });
  expect(heardA).toEqual([{ all: true }]); // never its own

  await redis.halt();
  busA.publish({ tokenId: 'lost' }); // nobody can hear it
  await redis.restart();
  await until(() => heardB.length === 3, 'resubscribed');
  expect(heardB[2]).toEqual({ all: true });
  busA.publish({ userId: 'u1' });
  await until(() => heardB.length === 4, 'delivery resumed');
  expect(heardB[3]).toEqual({ userId: 'u1' });
});
