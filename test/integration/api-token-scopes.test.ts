import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';

describe('ApiToken.scopes', () => {
  let app: TestApp;
  let world: World;
  beforeAll(async () => {
    app = await startTestApp();
    world = await createWorld(app);
  });
  afterAll(() => app?.stop());

  test("a token's scopes are its role's plus env:<environment>", async () => {
    const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
    const member = await createToken(app, world.owner, { role: 'MEMBER', environment: 'staging' });
    const admin = await createToken(app, world.owner, { role: 'ADMIN' });
    const q = 'query($id: ID!) { apiToken(id: $id) { scopes } }';
    const scopes = async (id: string) => (await app.ok(q, { id }, world.owner.session)).apiToken.scopes;
    expect(await scopes(ro.id)).toEqual(['read']);
    expect(await scopes(member.id)).toEqual(['read', 'write', 'env:staging']);
    expect(await scopes(admin.id)).toEqual(['read', 'write', 'admin']);
  });

  test('anonymous callers get no token, let alone its scopes', async () => {
    const t = await createToken(app, world.member);
    const res = await app.gql('query($id: ID!) { apiToken(id: $id) { scopes } }', { id: t.id });
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const own = await app.ok('query($id: ID!) { apiToken(id: $id) { scopes } }', { id: t.id }, auth.apiKey(t.secret));
    expect(own.apiToken.scopes).toEqual(['read', 'write']);
  });
});
