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
