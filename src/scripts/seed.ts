import 'reflect-metadata';
import { parseArgs } from 'node:util';
import bcrypt from 'bcrypt';
import { ConfigError, loadConfig } from '../config';
import { createDataSource, initializeDatabase } from '../db/data-source';
import { seedDatabase, SeedOptions } from '../db/seeder';
import { createLogger } from '../logger';
import { validatePassword } from '../auth/passwords';
import { AppError } from '../errors';

/**
 * `npm run seed -- --accounts 10000 --tokens 1000000 --big-account 100000 --audit 5000000`
 *
 * Fills the MySQL/MariaDB database at DATABASE_URL (migrations applied first)
 * with realistic, deterministic data: see src/db/seeder.ts and docs/operations.md, "Data at scale".
 * Refuses a database that already holds accounts unless --truncate is given.
 */
const USAGE = `usage: npm run seed -- [--accounts N] [--tokens N] [--big-account N] [--audit N] [--usage N]
                       [--spread skewed|uniform] [--seed TEXT] [--now ISO-8601] [--truncate]
  DATABASE_URL (mysql:// or mariadb://) names the database; SEED_PASSWORD sets every seeded user's password.`;

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`--${name} must be a whole number, got "${raw}"`);
  return Number(raw);
}

type Options = Omit<SeedOptions, 'signingKey' | 'passwordHash'>;

/** The command line, checked: what to seed and whether to empty the tables first; null for --help. */
function parseCommandLine(): { options: Options; truncate: boolean } | null {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string' },
      tokens: { type: 'string' },
      'big-account': { type: 'string' },
      audit: { type: 'string' },
      usage: { type: 'string' },
      spread: { type: 'string' },
      seed: { type: 'string' },
      now: { type: 'string' },
      truncate: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return null;
  const tokens = count(values.tokens, 'tokens', 10_000);
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new ConfigError(`--now must be an ISO-8601 time, got "${values.now}"`);
  const spread = values.spread ?? 'skewed';
  if (spread !== 'skewed' && spread !== 'uniform') throw new ConfigError(`--spread must be skewed or uniform, got "${spread}"`);
  const options: Options = {
    accounts: count(values.accounts, 'accounts', 100),
    tokens,
    bigAccount: count(values['big-account'], 'big-account', Math.min(tokens, 1000)),
    audit: count(values.audit, 'audit', 5 * tokens),
    usage: values.usage === undefined ? undefined : count(values.usage, 'usage', tokens),
    spread,
    seed: values.seed ?? 'tokengate',
    now,
  };
  return { options, truncate: values.truncate ?? false };
}

async function main(): Promise<number> {
  let options: Options;
  let truncate: boolean;
  let config;
  let password: string;
  try {
    const parsed = parseCommandLine();
    if (!parsed) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    ({ options, truncate } = parsed);
    config = loadConfig();
    if (!config.databaseUrl) throw new ConfigError('DATABASE_URL must name a MySQL/MariaDB database (mysql://user:password@host:3306/db); the seeder does not fill SQLite');
    password = process.env.SEED_PASSWORD ?? 'seeded-user-password';
    validatePassword(password, 'SEED_PASSWORD');
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AppError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tokengate seed: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }

  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { dataSource } = createDataSource({ ...config, dbConnectTimeoutMs: 60_000 }, logger);
  await initializeDatabase(dataSource, true, logger);
  const runner = dataSource.createQueryRunner();
  try {
    const [{ n }] = await runner.query('SELECT COUNT(*) AS n FROM `account`');
    if (Number(n) > 0) {
      if (!truncate) {
        process.stderr.write(`tokengate seed: the database already holds ${n} accounts; pass --truncate to empty every table first\n`);
        return 2;
      }
      await runner.query('SET SESSION foreign_key_checks = 0');
      for (const meta of dataSource.entityMetadatas) await runner.query(`TRUNCATE TABLE \`${meta.tableName}\``);
      await runner.query('SET SESSION foreign_key_checks = 1');
    }
    const result = await seedDatabase(runner, {
      ...options,
      signingKey: config.sessionSigningKey,
      passwordHash: await bcrypt.hash(password, config.bcryptRounds),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    // Fresh statistics, so the optimiser plans with the real row counts at once.
    for (const meta of dataSource.entityMetadatas) await runner.query(`ANALYZE TABLE \`${meta.tableName}\``);
    process.stdout.write(`${JSON.stringify({ ...result, seed: options.seed, now: options.now.toISOString() })}\n`);
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`tokengate seed failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
