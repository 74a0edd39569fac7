// First: sizes the libuv threadpool (bcrypt) before anything can start it.
import './threadpool';
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createServer } from './server';
import { describeMetrics } from './http/metrics-endpoint';
import { User } from './modules/user/user.entity';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tokengate: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const server = await createServer(config, { logger });
  const url = await server.listen();
  const database = config.databaseUrl ? 'MySQL/MariaDB (DATABASE_URL)' : `embedded SQLite at ${config.sqlitePath}`;
  logger.info({ url, database, sandbox: config.sandbox, metrics: describeMetrics(server.metrics) }, 'tokengate is listening');

  if ((await server.dataSource.getRepository(User).count()) === 0) {
    process.stdout.write(
      [
        '',
        `Tokengate is running at ${url} on ${database}.`,
        config.sandbox ? `Open ${url} in a browser for Apollo Sandbox.` : '',
        'The database is empty: create the first account (you become its OWNER) with',
        '',
        '  mutation { signUp(input: { accountName: "Acme", email: "you@example.com", name: "You", password: "at-least-12-chars" }) {',
        '    accessToken refreshToken user { id email role } } }',
        '',
        'then send "Authorization: Bearer <accessToken>" and ask: { me { id email role account { name } } }',
        '',
      ].join('\n'),
    );
  }

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`tokengate: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
