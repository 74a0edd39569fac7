import 'reflect-metadata';
import { Writable } from 'node:stream';
import { Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createServer, TokengateServer } from '../../src/server';
import { clock } from '../../src/common/clock';
import { createTestDatabase, TestDatabase } from './test-db';
import { checkThenDrop, fetchIsObserved, findLeaks, Leak, LogSource, registerConfigSecrets } from './secret-registry';

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }>;
  raw: string;
}

export interface TestApp {
  url: string;
  base: string;
  server: TokengateServer;
  db: TestDatabase;
  config: Config;
  /** Every log line the service wrote, as JSON text. */
  logs: string[];
  /** The logs the secrets check scans at stop(): the service's, then any a helper adds (e.g. gateways). */
  logSources: LogSource[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<GqlResponse<T>>;
  /** Run an operation that must succeed; returns `data`. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<T>;
  /** Run an operation that must fail; returns the first error's code and message. */
  fail(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<{ code?: string; message: string; data: any }>;
  /** Scan the logs, the errors received so far and every column for registered secrets (the check stop() makes). */
  findLeaks(): Promise<Leak[]>;
  /** Stop the service and drop its database; rejects with SecretLeakError if a secret leaked (checked before the drop). */
  stop(): Promise<void>;
}

/** POST a GraphQL operation (JSON) to `url`: the one HTTP client of the tests' gql helpers. */
export async function post(url: string, query: string, variables?: Record<string, unknown>, authorization?: string, extra: Record<string, string> = {}): Promise<GqlResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const raw = await res.text();
  let body: any = {};
  try {
    body = JSON.parse(raw);
  } catch {
    /* leave empty: the test sees raw */
  }
  return { status: res.status, headers: res.headers, data: body.data, errors: body.errors, raw };
}

export const TEST_SIGNING_KEY = 'test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz';

/** Start the real service over HTTP on a fresh database for this test file. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  if (!fetchIsObserved()) throw new Error('the secrets-hygiene fetch observer is not installed: run integration tests with jest.config.js (setupFilesAfterEnv)');
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const logger = createLogger('debug', sink);
  const db = await createTestDatabase(logger.child({ component: 'db' }));
  const settings: Record<string, string> = {
    NODE_ENV: 'test',
    SESSION_SIGNING_KEY: TEST_SIGNING_KEY,
    BCRYPT_ROUNDS: '10',
    PORT: '0',
    DATA_DIR: '/nonexistent-tokengate-test',
    USAGE_FLUSH_INTERVAL_MS: '600000',
    // Background work runs only when a test calls server.scheduler.runOnce().
    NOTIFY_INTERVAL_MS: '0',
    WEBHOOK_DELIVERY_INTERVAL_MS: '0',
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { SQLITE_PATH: db.sqlitePath }),
    ...env,
  };
  registerConfigSecrets(settings);
  const config = loadConfig(settings);
  const server = await createServer(config, { logger, dataSource: db.dataSource, queryLogger: db.queryLogger });
  const url = await server.listen(0);
  const base = url.replace(/\/graphql$/, '');

  const gql = (query: string, variables?: Record<string, unknown>, authorization?: string) => post(url, query, variables, authorization);

  const logSources: LogSource[] = [{ where: 'the tokens service log', lines: logs }];
  let stopping: Promise<void> | undefined;

  return {
    url,
    base,
    server,
    db,
    config,
    logs,
    logSources,
    gql,
    async ok(query, variables, authorization) {
      const res = await gql(query, variables, authorization);
      if (res.errors?.length) throw new Error(`expected success, got ${res.status}: ${JSON.stringify(res.errors)}`);
      return res.data;
    },
    async fail(query, variables, authorization) {
      const res = await gql(query, variables, authorization);
      if (!res.errors?.length) throw new Error(`expected an error, got ${res.status}: ${res.raw}`);
      return { code: res.errors[0].extensions?.code, message: res.errors[0].message, data: res.data };
    },
    findLeaks: () => findLeaks({ logs: logSources, database: { dataSource: db.dataSource, kind: db.kind } }),
    stop() {
      stopping ??= (async () => {
        clock.reset();
        await server.stop();
        await checkThenDrop(logSources, db);
      })();
      return stopping;
    },
  };
}
