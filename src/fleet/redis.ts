import { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisSettings } from '../config';
import { redisUp } from './metrics';

/**
 * The fleet's Redis connections: `commands` for publishing and rate limits, `subscriber` for the
 * invalidation channel (a subscribed connection can do nothing else). Every command is time-boxed
 * (commandTimeout = REDIS_TIMEOUT_MS) and never queued while disconnected (it fails at once and the
 * caller goes on without Redis); both connections retry for ever with a capped backoff, so recovery is
 * automatic. An outage is logged once when it starts and once when it ends, never per request.
 */
export class FleetRedis {
  readonly commands: Redis;
  readonly subscriber: Redis;
  private down = false;

  constructor(
    readonly settings: RedisSettings,
    private readonly logger: Logger,
  ) {
    const common: RedisOptions = {
      connectTimeout: Math.max(1000, settings.timeoutMs),
      // Reconnect every 50 ms at first, then at most every second, for ever.
      retryStrategy: (times) => Math.min(50 * times, 1000),
      lazyConnect: false,
    };
    this.commands = new Redis(settings.url, {
      ...common,
      commandTimeout: settings.timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectionName: 'tokengate',
    });
    // SUBSCRIBE is sent by the invalidation transport on every 'ready'; nothing is queued.
    this.subscriber = new Redis(settings.url, { ...common, autoResubscribe: false, enableOfflineQueue: true, maxRetriesPerRequest: null, connectionName: 'tokengate-sub' });
    redisUp().set(0);
    for (const conn of [this.commands, this.subscriber]) {
      // Without an 'error' listener ioredis prints every failed reconnect; the outage is logged once below.
      conn.on('error', (err: Error) => this.markDown(err));
      conn.on('close', () => this.markDown());
      conn.on('ready', () => this.markUp());
    }
  }

  /** Both connections ready. */
  get up(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  key(name: string): string {
    return `${this.settings.keyPrefix}${name}`;
  }

  private markDown(err?: Error): void {
    redisUp().set(this.up ? 1 : 0);
    if (this.down || this.closing) return;
    this.down = true;
    this.logger.warn(
      { code: (err as NodeJS.ErrnoException | undefined)?.code },
      'Redis unreachable: invalidations from other processes are bounded by the cache TTLs and rate limits are per instance until it is back',
    );
  }

  private markUp(): void {
    if (!this.up) return;
    redisUp().set(1);
    if (!this.down) return;
    this.down = false;
    this.logger.info('Redis reachable again: fleet invalidations and shared rate limits resumed');
  }

  private closing = false;

  /** Close both connections at once (no QUIT: it would wait for a Redis that may be gone). */
  async close(): Promise<void> {
    this.closing = true;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }
}
