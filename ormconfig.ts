/**
 * The DataSource used by the TypeORM CLI (npm run migration:generate / :run / :revert).
 * It reads the same configuration as the service: set DATABASE_URL to a MySQL
 * or MariaDB server. The app and tests build their DataSource from the same
 * options (src/db/data-source.ts).
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config';
import { dataSourceOptions } from './src/db/data-source';

const config = loadConfig();
export default new DataSource(dataSourceOptions({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath }));
