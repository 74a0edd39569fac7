import 'reflect-metadata';
import { Writable } from 'node:stream';
import { Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createServer, TokengateServer } from '../../src/server';
import { clock } from '../../src/common/clock';
import { createTestDatabase, TestDatabase } from './test-db';

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
  gql<T = any>(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<GqlResponse<T>>;
  /** Run an operation that must succeed; returns `data`. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<T>;
  /** Run an operation that must fail; returns the first error's code and message. */
  fail(query: string, variables?: Record<string, unknown>, authorization?: string): Promise<{ code?: string; message: string; data: any }>;
  stop(): Promise<void>;
}

export const TEST_SIGNING_KEY = 'test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz';

/** Start the real service over HTTP on a fresh database for this test file. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const logger = createLogger('debug', sink);
  const db = await createTestDatabase(logger.child({ component: 'db' }));
  const config = loadConfig({
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
  });
  const server = await createServer(config, { logger, dataSource: db.dataSource, queryLogger: db.queryLogger });
  const url = await server.listen(0);
  const base = url.replace(/\/graphql$/, '');

  const gql = async (query: string, variables?: Record<string, unknown>, authorization?: string): Promise<GqlResponse> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
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
  };

  return {
    url,
    base,
    server,
    db,
    config,
    logs,
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
    async stop() {
      clock.reset();
      await server.stop();
      await db.drop();
    },
  };
}
