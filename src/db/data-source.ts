import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { CountingQueryLogger } from './query-logger';
import { supportsRowLocks } from './locks';
import { clock, DAY_MS } from '../common/clock';
import { backfillTokenTrigrams } from '../modules/api-token/search/trigrams';

export type DbKind = 'mysql' | 'sqlite';

export interface DataSourceSettings {
  databaseUrl?: string;
  sqlitePath: string;
  /** Throwaway test databases only: create the schema from the entities instead of migrations. */
  synchronizeMysql?: boolean;
  /** Fail a request instead of queueing forever when every pooled connection is busy or the server is gone. */
  connectTimeoutMs?: number;
  poolSize?: number;
}

export function dbKindOf(settings: Pick<DataSourceSettings, 'databaseUrl'>): DbKind {
  return settings.databaseUrl ? 'mysql' : 'sqlite';
}

/**
 * One TypeORM DataSource definition for the app, the migration CLI (ormconfig.ts)
 * and the tests. MySQL/MariaDB schema changes go through migrations; the
 * embedded SQLite database is synchronized from the entities (development only).
 */
export function dataSourceOptions(settings: DataSourceSettings, logger?: CountingQueryLogger): DataSourceOptions {
  if (settings.databaseUrl) {
    return {
      // TypeORM's mariadb flavour reads MariaDB's catalogue correctly (column defaults, nullability).
      type: settings.databaseUrl.startsWith('mariadb:') ? 'mariadb' : 'mysql',
      url: settings.databaseUrl.replace(/^mariadb:/, 'mysql:'),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      dateStrings: false,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTableName: 'typeorm_migrations',
      synchronize: settings.synchronizeMysql ?? false,
      logger,
      connectTimeout: settings.connectTimeoutMs ?? 10_000,
      poolSize: settings.poolSize ?? 10,
      extra: { waitForConnections: true, queueLimit: 1000, enableKeepAlive: true },
    };
  }
  if (settings.sqlitePath !== ':memory:') mkdirSync(dirname(settings.sqlitePath), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: settings.sqlitePath,
    entities: ENTITIES,
    synchronize: true,
    enableWAL: settings.sqlitePath !== ':memory:',
    timeout: 5000,
    logger,
  };
}

/**
 * better-sqlite3 has one connection, and TypeORM turns a transaction opened
 * while another is in progress into a SAVEPOINT inside it: two requests'
 * transactions could then commit or roll back each other's work (any await in
 * a transaction, even a resolved promise, lets another request's code run).
 * On that driver, transactions therefore wait their turn. Every write in this
 * codebase goes through dataSource.transaction(). MySQL is untouched: it has a
 * pool and real row locks.
 */
export function serializeSqliteTransactions(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'better-sqlite3') return dataSource;
  const manager = dataSource.manager;
  const original = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  manager.transaction = ((...args: unknown[]) => {
    const run = tail.then(() => original(...args));
    tail = run.catch(() => undefined);
    return run;
  }) as typeof manager.transaction;
  return dataSource;
}

export function createDataSource(config: Pick<Config, 'databaseUrl' | 'sqlitePath' | 'dbConnectTimeoutMs'>, logger: Logger): { dataSource: DataSource; queryLogger: CountingQueryLogger } {
  const queryLogger = new CountingQueryLogger(logger.child({ component: 'db' }));
  const dataSource = serializeSqliteTransactions(
    new DataSource(dataSourceOptions({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, connectTimeoutMs: config.dbConnectTimeoutMs }, queryLogger)),
  );
  return { dataSource, queryLogger };
}

export async function initializeDatabase(dataSource: DataSource, runMigrations: boolean, logger: Logger): Promise<void> {
  await dataSource.initialize();
  if (supportsRowLocks(dataSource) && runMigrations) {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const m of applied) logger.info({ migration: m.name }, 'applied migration');
  }
  if (!supportsRowLocks(dataSource)) {
    // The embedded database is synchronised, not migrated: tokens written before api_token.nextNoticeAt existed
    // have none. Their next scheduler pass looks at them once (what was sent is never sent again).
    await dataSource.transaction((em) =>
      em.query(`UPDATE "api_token" SET "nextNoticeAt" = ? WHERE "nextNoticeAt" IS NULL AND "storedStatus" = 'ACTIVE' AND "expiresAt" IS NOT NULL AND "expiresAt" > ?`, [
        sqliteTime(clock.now()),
        sqliteTime(new Date(clock.nowMs() - 7 * DAY_MS)),
      ]),
    );
    // Likewise the search index (api_token_trigram): tokens written before it existed are indexed now.
    await dataSource.transaction((em) => backfillTokenTrigrams(em));
  }
}

/** better-sqlite3 binds no Date: as TypeORM stores it, 'YYYY-MM-DD HH:MM:SS.SSS' UTC. */
const sqliteTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
