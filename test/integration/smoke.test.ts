import { startTestApp, TestApp } from '../helpers/app';
import { createWorld, World } from '../helpers/world';

let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());

test('me answers for each role', async () => {
  for (const a of [world.owner, world.admin, world.member, world.readOnly, world.stranger]) {
    const data = await app.ok('{ me { id role } }', {}, a.session);
    expect(data.me).toEqual({ id: a.id, role: a.role });
  }
});

test('every request leaves one access-log line with its id, the path as requested, the status and the time taken', async () => {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'smoke-access-log-1' },
    body: JSON.stringify({ query: '{ me { id } }' }),
  });
  expect(res.headers.get('x-request-id')).toBe('smoke-access-log-1');
  await new Promise((r) => setTimeout(r, 20)); // the line is written when the response finishes
  const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.requestId === 'smoke-access-log-1');
  expect(lines).toEqual([expect.objectContaining({ method: 'POST', path: '/graphql', status: 200, ms: expect.any(Number) })]);
});
