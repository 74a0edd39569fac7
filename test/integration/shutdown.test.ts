import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/logger';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { createTestDatabase, TestDatabase } from '../helpers/test-db';
import { post, TEST_SIGNING_KEY } from '../helpers/app';
import { checkThenDrop, registerConfigSecrets } from '../helpers/secret-registry';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../support/mysql-server.cjs');

/*
 * The real entry point (dist/src/main.js, built by `npm test`'s pretest step):
 * on SIGTERM it stops accepting, finishes in-flight work, flushes coalesced
 * token usage, closes the pool and exits 0.
 */
const MAIN = join(__dirname, '..', '..', 'dist', 'src', 'main.js');

let db: TestDatabase;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does it first)`);
  db = await createTestDatabase(createLogger('silent'));
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  // The entry point's own output (the production logger on stdout) and its database get the secrets
  // check startTestApp's stop() makes; the secrets are those the fetch calls below sent and received.
  if (db) await checkThenDrop([{ where: 'the output of dist/src/main.js', lines: output.split('\n') }], db);
});

async function waitUntilUp(base: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      /* not yet */
    }
    if (child?.exitCode !== null) throw new Error(`service exited early: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not start: ${output}`);
}

test('SIGTERM drains, flushes token usage and exits 0', async () => {
  const port: number = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: 'debug', // everything the service logs goes through the secrets check
    SESSION_SIGNING_KEY: TEST_SIGNING_KEY,
    BCRYPT_ROUNDS: '10',
    USAGE_FLUSH_INTERVAL_MS: '600000',
    DATA_DIR: '/nonexistent-tokengate-shutdown',
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { SQLITE_PATH: db.sqlitePath }),
  };
  registerConfigSecrets(env);
  child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitUntilUp(base);

  const gql = (query: string, authorization?: string) => post(`${base}/graphql`, query, undefined, authorization);
  const signUp = await gql('mutation { signUp(input: { accountName: "Down", email: "shutdown@example.com", name: "S", password: "correct horse battery staple" }) { accessToken } }');
  const session = `Bearer ${signUp.data.signUp.accessToken}`;
  const created = await gql('mutation { createApiToken(input: { name: "flush-me" }) { secret token { id } } }', session);
  const { secret, token } = created.data.createApiToken;
  for (let i = 0; i < 3; i++) expect((await gql('{ me { id } }', `APIKey ${secret}`)).errors).toBeUndefined();

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect({ code: await exited, output }).toEqual({ code: 0, output: expect.any(String) });

  // usage was only ever written by the shutdown flush (the interval is 10 minutes)
  const row = await db.dataSource.getRepository(ApiToken).findOneByOrFail({ id: token.id });
  expect(row.useCount).toBe(3);
  expect(row.lastUsedAt).not.toBeNull();
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  expect(output).not.toContain(secret);
});
