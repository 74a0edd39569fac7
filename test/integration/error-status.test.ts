import { startTestApp, TestApp } from '../helpers/app';
import { LOGIN } from '../helpers/world';

/*
 * The error table (src/errors.ts) gives SERVICE_UNAVAILABLE its 503 wherever it
 * is raised, also inside an operation: here bcrypt's queue is full (one slot, no
 * waiting), so sign-ins beyond the one hashing are refused at once. Clients,
 * proxies and the gateway see a 503 they know to retry, not a 200.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ BCRYPT_CONCURRENCY: '1', BCRYPT_QUEUE_LIMIT: '0' });
});
afterAll(() => app?.stop());

test('SERVICE_UNAVAILABLE raised in a resolver answers 503; the other answers keep their 200', async () => {
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => app.gql(LOGIN, { email: `nobody-${i}@example.com`, password: 'correct-horse-battery-9' })));
  const busy = answers.filter((a) => a.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE');
  const refused = answers.filter((a) => a.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED');
  expect(busy.length).toBeGreaterThan(0);
  expect(refused.length).toBeGreaterThan(0);
  expect(busy.length + refused.length).toBe(answers.length);
  for (const a of busy) {
    expect(a.status).toBe(503);
    expect(a.errors?.[0].path).toEqual(['login']);
    expect(a.errors?.[0].message).toMatch(/try again/i);
    expect(a.raw).not.toMatch(/stack|node_modules/);
  }
  for (const a of refused) expect(a.status).toBe(200);
});

test('a bad request is still a 400 and a domain refusal in a resolver still a 200', async () => {
  expect((await app.gql('{ me { id ')).status).toBe(400);
  const unknown = await app.gql('mutation { login(email: "", password: "x") { accessToken } }');
  expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect(unknown.status).toBe(200);
});
