import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, signUp, Actor } from '../helpers/world';
import { SecretLeakError } from '../helpers/secret-registry';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startServer } = require('../support/mysql-server.cjs');

/*
 * The database goes away in the middle of a run and comes back: requests fail
 * fast with SERVICE_UNAVAILABLE (no hang, no stack, no crash), /readyz turns
 * 503, nothing is half-written, and the service recovers by itself.
 * This file runs its own MariaDB/MySQL server so stopping it disturbs no one.
 */
type Server = { url: string; flavour: string; halt(): Promise<void>; restart(): Promise<void>; stop(): Promise<void> };

let server: Server;
let app: TestApp;
let owner: Actor;
let token: { secret: string };

const TOTAL = '{ apiTokens(filter: { status: [ACTIVE, REVOKED, EXPIRED, DELETED] }) { totalCount } }';

beforeAll(async () => {
  server = await startServer();
  const previous = process.env.TG_TEST_MYSQL_URL;
  process.env.TG_TEST_MYSQL_URL = server.url.replace(/^mysql:/, server.flavour === 'mariadb' ? 'mariadb:' : 'mysql:');
  try {
    app = await startTestApp({ DB_CONNECT_TIMEOUT_MS: '2000', TOKEN_CACHE_TTL_MS: '0' });
  } finally {
    process.env.TG_TEST_MYSQL_URL = previous;
  }
  owner = await signUp(app, 'outage');
  token = await createToken(app, owner, { name: 'before' });
}, 120_000);

afterAll(async () => {
  // Stopping may stumble on the recovered pool; a secrets-hygiene failure must still fail the file.
  await app?.stop().catch((err: unknown) => {
    if (err instanceof SecretLeakError) throw err;
  });
  await server?.stop();
});

async function eventually<T>(fn: () => Promise<T | undefined>, tries = 60): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('did not recover');
}

test('an outage fails requests with SERVICE_UNAVAILABLE, then everything recovers without a restart', async () => {
  expect((await app.ok(TOTAL, {}, owner.session)).apiTokens.totalCount).toBe(1);

  await server.halt();

  const bySession = await app.gql(TOTAL, {}, owner.session);
  expect(bySession.status).toBe(503);
  expect(bySession.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(bySession.raw).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack|node_modules/);

  const byToken = await app.gql(TOTAL, {}, auth.apiKey(token.secret));
  expect(byToken.status).toBe(503);
  expect(byToken.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');

  const write = await app.gql('mutation { createApiToken(input: { name: "during-outage" }) { secret } }', {}, owner.session);
  expect(write.status).toBe(503);
  expect(write.errors?.[0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(write.raw).not.toContain('tgk_');

  expect((await fetch(`${app.base}/readyz`)).status).toBe(503);
  expect((await fetch(`${app.base}/healthz`)).status).toBe(200);

  await server.restart();

  const ready = await eventually(async () => ((await fetch(`${app.base}/readyz`)).status === 200 ? true : undefined));
  expect(ready).toBe(true);
  const total = await eventually(async () => {
    const res = await app.gql(TOTAL, {}, owner.session);
    return res.errors ? undefined : res.data.apiTokens.totalCount;
  });
  // the refused write left nothing behind
  expect(total).toBe(1);
  expect((await app.ok('{ me { id } }', {}, auth.apiKey(token.secret))).me.id).toBe(owner.id);
  const after = await app.ok('mutation { createApiToken(input: { name: "after-outage" }) { token { name } } }', {}, owner.session);
  expect(after.createApiToken.token.name).toBe('after-outage');
}, 120_000);
