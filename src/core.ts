import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { Config } from './config';
import { Authenticator } from './verification/authenticator';
import { SessionTokens } from './auth/session-tokens';
import { TokenCache } from './auth/token-cache';
import { UsageRecorder } from './verification/usage-recorder';
import { clock } from './common/clock';
import { createDataSource, initializeDatabase } from './db/data-source';
import { CountingQueryLogger } from './db/query-logger';
import { createLogger, Logger } from './logger';
import { ThrottleService } from './modules/throttle/throttle.service';
import { createMailer } from './modules/notification/mailer';
import { ExpiryNotifier } from './modules/notification/expiry-notifier';
import { InactivityCleaner } from './modules/api-token/inactivity';
import { Scheduler } from './modules/notification/scheduler';
import { createServices, Services } from './services';
import { InvalidationBus } from './auth/invalidation-bus';
import { Fleet, startFleet } from './fleet';

/**
 * What every entry point of the tokens service runs on: the database, the services, the
 * authenticator with its verification cache and usage recorder, and the background scheduler.
 * The HTTP server (server.ts), the co-located gateway (gateway/main.ts) and `npm run notify`
 * (scripts/notify.ts) build it here and start only what they use; nothing here listens.
 */
export interface Core {
  logger: Logger;
  dataSource: DataSource;
  queryLogger: CountingQueryLogger;
  sessionTokens: SessionTokens;
  tokenCache: TokenCache;
  /** Every change that ends or narrows a credential is published here; with REDIS_URL it reaches the fleet. */
  invalidations: InvalidationBus;
  throttle: ThrottleService;
  usage: UsageRecorder;
  authenticator: Authenticator;
  services: Services;
  /** Expiry notices, e-mails, webhook deliveries, pruning: not started here (start(), or runOnce()). */
  scheduler: Scheduler;
  /** Stop the scheduler and the usage recorder (flushing it), leave the fleet, and close the database if the core opened it. */
  close(): Promise<void>;
}

export interface CoreOptions {
  logger?: Logger;
  /** An existing, initialised DataSource (tests); otherwise one is made from the config. It is then not closed by close(). */
  dataSource?: DataSource;
  /** Required with dataSource: the logger that counts its statements. */
  queryLogger?: CountingQueryLogger;
  /** Apply pending migrations when opening the database (default: config.runMigrations). */
  runMigrations?: boolean;
  /**
   * The verification cache: on (TOKEN_CACHE_TTL_MS, TOKEN_CACHE_MAX_ENTRIES) by default; off where another
   * cache bounds revocation (the co-located gateway) or nothing is verified (notify).
   */
  tokenCache?: 'config' | 'off';
  /**
   * The invalidation bus to publish and subscribe on, owned (and joined to the fleet) by the caller: the
   * co-located gateway's, which its own caches also hear. Otherwise the core makes one and, with REDIS_URL,
   * joins it to the fleet (src/fleet) itself, so the service and `npm run notify` both reach every replica.
   */
  invalidations?: InvalidationBus;
}

export async function buildCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const { dataSource, queryLogger, owned } = await openDatabase(config, logger, options);
  const sessionTokens = new SessionTokens(config.sessionSigningKey);
  // Fleet mode (REDIS_URL): invalidations reach every replica and gateway; without it, this process only.
  const invalidations = options.invalidations ?? new InvalidationBus();
  const fleet: Fleet | null = options.invalidations ? null : startFleet(config.redis, invalidations, logger);
  const tokenCache =
    options.tokenCache === 'off' ? new TokenCache(0, 0, clock.nowMs, invalidations) : new TokenCache(config.tokenCacheTtlMs, config.tokenCacheMaxEntries, clock.nowMs, invalidations);
  const usage = new UsageRecorder(dataSource, logger.child({ component: 'usage' }), config.usageFlushIntervalMs);
  const throttle = new ThrottleService(dataSource);
  const authenticator = new Authenticator(dataSource, sessionTokens, tokenCache, usage, throttle, logger.child({ component: 'auth' }));
  const services = createServices(dataSource, config, { sessionTokens, tokenCache, throttle, knownSecrets: authenticator.knownSecrets, logger });
  const scheduler = createScheduler(dataSource, config, services, logger);
  let closed = false;
  return {
    logger,
    dataSource,
    queryLogger,
    sessionTokens,
    tokenCache,
    invalidations,
    throttle,
    usage,
    authenticator,
    services,
    scheduler,
    async close() {
      if (closed) return;
      closed = true;
      await scheduler.stop();
      await usage.stop();
      await fleet?.close();
      if (owned && dataSource.isInitialized) await dataSource.destroy();
    },
  };
}

async function openDatabase(config: Config, logger: Logger, options: CoreOptions): Promise<{ dataSource: DataSource; queryLogger: CountingQueryLogger; owned: boolean }> {
  if (options.dataSource) {
    if (!options.queryLogger) throw new Error('buildCore: a queryLogger must accompany an external dataSource');
    return { dataSource: options.dataSource, queryLogger: options.queryLogger, owned: false };
  }
  const { dataSource, queryLogger } = createDataSource(config, logger);
  await initializeDatabase(dataSource, options.runMigrations ?? config.runMigrations, logger);
  return { dataSource, queryLogger, owned: true };
}

/** The background worker: the in-process timer of the service and `npm run notify` run the same one. */
export function createScheduler(ds: DataSource, config: Config, services: Services, logger: Logger): Scheduler {
  const log = logger.child({ component: 'scheduler' });
  const mailer = createMailer(config.smtpUrl, config.smtpFrom, log);
  return new Scheduler(
    ds,
    new ExpiryNotifier(ds, mailer, log),
    services.webhooks,
    services.usage,
    mailer,
    {
      notifyIntervalMs: config.notifyIntervalMs,
      webhookDeliveryIntervalMs: config.webhookDeliveryIntervalMs,
      usageRetentionDays: config.usageRetentionDays,
    },
    log,
    new InactivityCleaner(ds, services.apiTokens.tokenCache, log),
  );
}
