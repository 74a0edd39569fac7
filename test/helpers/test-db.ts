import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { dataSourceOptions, DbKind, serializeSqliteTransactions } from '../../src/db/data-source';
import { CountingQueryLogger } from '../../src/db/query-logger';

export interface TestDatabase {
  kind: DbKind;
  /** DATABASE_URL for this database (MySQL), undefined for SQLite. */
  databaseUrl?: string;
  sqlitePath: string;
  dataSource: DataSource;
  queryLogger: CountingQueryLogger;
  drop(): Promise<void>;
}

export const testDbKind = (): DbKind => (process.env.TG_TEST_DB === 'mysql' ? 'mysql' : 'sqlite');

function adminConnectionOptions(url: URL) {
  return { host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/**
 * A fresh database for one test file: on MySQL `e2e_<random>` with every
 * migration applied (as production does), on SQLite a temporary file
 * synchronised from the entities (as the embedded default does).
 */
export async function createTestDatabase(logger: Logger): Promise<TestDatabase> {
  const queryLogger = new CountingQueryLogger(logger);
  if (testDbKind() === 'mysql') {
    const admin = new URL(process.env.TG_TEST_MYSQL_URL!);
    const name = `e2e_${randomBytes(6).toString('hex')}`;
    const conn = await createConnection(adminConnectionOptions(admin));
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();
    const databaseUrl = `${admin.protocol}//${admin.username ? admin.username + (admin.password ? ':' + admin.password : '') + '@' : ''}${admin.host}/${name}`;
    const dataSource = new DataSource(dataSourceOptions({ databaseUrl, sqlitePath: ':memory:', poolSize: 20 }, queryLogger));
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    return {
      kind: 'mysql',
      databaseUrl,
      sqlitePath: ':memory:',
      dataSource,
      queryLogger,
      async drop() {
        if (dataSource.isInitialized) await dataSource.destroy();
        const c = await createConnection(adminConnectionOptions(admin));
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-sqlite-'));
  const sqlitePath = join(dir, 'test.sqlite');
  const dataSource = serializeSqliteTransactions(new DataSource(dataSourceOptions({ sqlitePath }, queryLogger)));
  await dataSource.initialize();
  return {
    kind: 'sqlite',
    sqlitePath,
    dataSource,
    queryLogger,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
