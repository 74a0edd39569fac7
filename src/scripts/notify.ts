import 'reflect-metadata';

import { ConfigError, loadConfig } from '../config';
import { createDataSource, initializeDatabase } from '../db/data-source';
import { createLogger } from '../logger';
import { createScheduler } from '../server';
import { ThrottleService } from '../modules/throttle/throttle.service';
import { createServices } from '../services';
import { SessionTokens } from '../auth/session-tokens';
import { TokenCache } from '../auth/token-cache';

/**
 * `npm run notify`: one scheduler pass (expiry notices, e-mails, webhook
 * deliveries, pruning) against DATABASE_URL, then exit 0. For cron, with
 * NOTIFY_INTERVAL_MS=0 on the service; the same code as the in-process timer,
 * and safe to run beside it (the database keeps every notice unique).
 */
async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tokengate notify: configuration error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const { dataSource } = createDataSource(config, logger);
  await initializeDatabase(dataSource, config.runMigrations, logger);

  const services = createServices(dataSource, config, {
    sessionTokens: new SessionTokens(config.sessionSigningKey),
    tokenCache: new TokenCache(0, 0, Date.now),
    throttle: new ThrottleService(dataSource),
    logger,
  });
  const scheduler = createScheduler(dataSource, config, services, logger);
  try {
    const result = await scheduler.runOnce();
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await scheduler.stop();
    await dataSource.destroy();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tokengate notify failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
