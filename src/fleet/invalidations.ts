import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CacheInvalidation, InvalidationBus, isInvalidation, kindOf } from '../auth/invalidation-bus';
import { invalidationsPublished, invalidationsReceived, lastInvalidationReceived } from './metrics';
import type { FleetRedis } from './redis';

/**
 * Carries the invalidation bus over Redis pub/sub: every change this process
 * publishes goes to the channel `<prefix>invalidations` (after its transaction
 * committed, fire and forget, time-boxed), and every message from another
 * process is delivered to this process's subscribers. Pub/sub delivers only to
 * connected subscribers, so a subscriber that was disconnected may have missed
 * messages: each time the subscription is (re-)established after a loss, every
 * local cache is dropped ({ all: true }). While Redis is unreachable the cache
 * TTLs bound what other processes may still accept.
 */
export function connectInvalidations(bus: InvalidationBus, redis: FleetRedis, logger: Logger): () => void {
  const channel = redis.key('invalidations');
  const origin = randomUUID();
  let subscribedOnce = false;

  bus.connect({
    send(change: CacheInvalidation) {
      const kind = kindOf(change);
      redis.commands.publish(channel, JSON.stringify({ o: origin, c: change })).then(
        () => invalidationsPublished.inc({ kind }),
        // Redis down: the outage is logged once by FleetRedis; the TTLs bound the other processes.
        () => undefined,
      );
    },
  });

  const onMessage = (ch: string, raw: string) => {
    if (ch !== channel) return;
    let msg: { o?: unknown; c?: unknown };
    try {
      msg = JSON.parse(raw) as { o?: unknown; c?: unknown };
    } catch {
      return;
    }
    if (msg.o === origin || !isInvalidation(msg.c)) return;
    invalidationsReceived.inc({ kind: kindOf(msg.c) });
    lastInvalidationReceived.set(Date.now() / 1000);
    bus.receive(msg.c);
  };

  const subscribe = () => {
    redis.subscriber.subscribe(channel).then(
      () => {
        // Messages published while this connection was down (or before it first came up) are lost:
        // forget everything cached.
        if (subscribedOnce) logger.info('invalidation subscription restored: every cached verdict dropped (messages may have been missed)');
        bus.receive({ all: true });
        subscribedOnce = true;
      },
      () => undefined, // a later 'ready' subscribes again
    );
  };

  redis.subscriber.on('message', onMessage);
  redis.subscriber.on('ready', subscribe);
  if (redis.subscriber.status === 'ready') subscribe();
  return () => {
    bus.connect(null);
    redis.subscriber.off('message', onMessage);
    redis.subscriber.off('ready', subscribe);
  };
}
