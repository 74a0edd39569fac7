import 'reflect-metadata';

import { ConfigError, loadConfig } from '../config';
import { buildCore } from '../core';
import { createLogger } from '../logger';

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
  // The same core as the service (its clock, its services), without the HTTP server; nothing is verified here.
  const core = await buildCore(config, { logger: createLogger(config.logLevel), tokenCache: 'off' });
  try {
    const result = await core.scheduler.runOnce();
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await core.close();
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
