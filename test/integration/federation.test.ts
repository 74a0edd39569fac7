import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';

const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
  __typename
  ... on User { id name }
  ... on Account { id name }
  ... on ApiToken { id name }
} }`;

describe('the tokens service as a federation subgraph', () => {
  let app: TestApp;
  let world: World;
  let memberToken: { id: string; secret: string };
  let adminToken: { id: string; secret: string };
  let strangerToken: { id: string; secret: string };

  beforeAll(async () => {
    app = await startTestApp();
    world = await createWorld(app);
    memberToken = await createToken(app, world.member, { name: 'member-ci' });
    adminToken = await createToken(app, world.admin, { name: 'admin-ci' });
    strangerToken = await createToken(app, world.stranger, { name: 'stranger-ci' });
  });
  afterAll(() => app?.stop());

  test('_service answers the subgraph SDL with @link and @key', async () => {
    const data = await app.ok('{ _service { sdl } }');
    expect(data._service.sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.6"/);
    expect(data._service.sdl).toMatch(/type ApiToken\s+@key\(fields: "id"\)/);
  });

  test('an admin resolves users, the account and tokens of their own account', async () => {
    const data = await app.ok(
      ENTITIES,
      {
        reps: [
          { __typename: 'User', id: world.member.id },
          { __typename: 'Account', id: world.owner.accountId },
          { __typename: 'ApiToken', id: memberToken.id },
        ],
      },
      world.admin.session,
    );
    expect(data._entities).toEqual([
      { __typename: 'User', id: world.member.id, name: 'member' },
      { __typename: 'Account', id: world.owner.accountId, name: 'Acme' },
      { __typename: 'ApiToken', id: memberToken.id, name: 'member-ci' },
    ]);
  });

  test("another account's entities resolve to null, exactly as if they did not exist", async () => {
    const data = await app.ok(
      ENTITIES,
      {
        reps: [
          { __typename: 'User', id: world.stranger.id },
          { __typename: 'Account', id: world.stranger.accountId },
          { __typename: 'ApiToken', id: strangerToken.id },
          { __typename: 'ApiToken', id: '00000000-0000-7000-8000-000000000000' },
        ],
      },
      world.owner.session,
    );
    expect(data._entities).toEqual([null, null, null, null]);
  });

  test('a member sees only what the root queries show them: themselves and their own tokens', async () => {
    const data = await app.ok(
      ENTITIES,
      {
        reps: [
          { __typename: 'User', id: world.member.id },
          { __typename: 'User', id: world.admin.id },
          { __typename: 'ApiToken', id: memberToken.id },
          { __typename: 'ApiToken', id: adminToken.id },
        ],
      },
      auth.apiKey(memberToken.secret),
    );
    expect(data._entities).toEqual([{ __typename: 'User', id: world.member.id, name: 'member' }, null, { __typename: 'ApiToken', id: memberToken.id, name: 'member-ci' }, null]);
  });

  test('entity fields keep their own rules: a member cannot read another user through _entities', async () => {
    const res = await app.gql(
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { id email } } }',
      { reps: [{ __typename: 'User', id: world.member.id }] },
      world.member.session,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities[0].email).toBe(world.member.email);
  });

  test('_entities needs a caller', async () => {
    const res = await app.fail(ENTITIES, { reps: [{ __typename: 'User', id: world.owner.id }] });
    expect(res.code).toBe('UNAUTHENTICATED');
  });

  test.each([
    ['an unknown __typename', [{ __typename: 'Secret-Sauce-4711', id: 'x' }], 'representations[0].__typename: names no type of this subgraph; entities are Account, ApiToken, User'],
    ['no __typename', [{ id: 'x' }], 'representations[0].__typename: is required: one of Account, ApiToken, User'],
    ['an empty __typename', [{ __typename: '', id: 'x' }], 'representations[0].__typename: is required: one of Account, ApiToken, User'],
    ['a __typename that is not a string', [{ __typename: ['User'], id: 'x' }], 'representations[0].__typename: is required: one of Account, ApiToken, User'],
    [
      'a type that is no entity',
      [
        { __typename: 'User', id: 'x' },
        { __typename: 'Webhook', id: 'x' },
      ],
      'representations[1].__typename: "Webhook" is not an entity type of this subgraph; entities are Account, ApiToken, User',
    ],
    ['an inherited property name', [{ __typename: 'constructor', id: 'x' }], 'representations[0].__typename: names no type of this subgraph; entities are Account, ApiToken, User'],
    ['a string', ['User:x'], 'representations[0]: must be an object with __typename (one of Account, ApiToken, User) and id'],
    ['a number', [42], 'representations[0]: must be an object with __typename (one of Account, ApiToken, User) and id'],
    ['a list', [[{ __typename: 'User', id: 'x' }]], 'representations[0]: must be an object with __typename (one of Account, ApiToken, User) and id'],
  ])('%s is BAD_USER_INPUT naming the representation, without echoing it or logging an error', async (_what, reps, message) => {
    const logged = app.logs.length;
    const res = await app.gql(ENTITIES, { reps }, world.owner.session);
    expect(res.status).toBe(200);
    expect(res.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', message]]);
    expect(res.data).toBeNull();
    expect(res.raw).not.toMatch(/Secret-Sauce|User:x|stack|_entities resolver/);
    // Nothing at warn level or above (pino: 40 warn, 50 error), and no stack anywhere in the log.
    const lines = app.logs.slice(logged).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/stack|Secret-Sauce/);
  });

  test('a representation without an id resolves to null', async () => {
    const noId = await app.ok(ENTITIES, { reps: [{ __typename: 'User' }] }, world.owner.session);
    expect(noId._entities).toEqual([null]);
  });

  test('an anonymous caller is refused before the representations are looked at', async () => {
    expect((await app.fail(ENTITIES, { reps: [{ __typename: 'Nope' }] })).code).toBe('UNAUTHENTICATED');
  });

  test('references are batched: resolving 30 tokens and 4 users costs a constant number of statements', async () => {
    const tokens = [];
    for (let i = 0; i < 30; i++) tokens.push(await createToken(app, world.owner, { name: `batch-${i}` }));
    const reps = [...tokens.map((t) => ({ __typename: 'ApiToken', id: t.id })), ...[world.owner, world.admin, world.member, world.readOnly].map((u) => ({ __typename: 'User', id: u.id }))];
    const run = async (n: number) => {
      const before = app.server.queryLogger.count;
      const data = await app.ok(ENTITIES, { reps: reps.slice(0, n) }, world.owner.session);
      expect(data._entities.filter(Boolean)).toHaveLength(n);
      return app.server.queryLogger.count - before;
    };
    const few = await run(2);
    const many = await run(reps.length);
    // session check + one batch per entity type, whatever the count
    expect(many).toBeLessThanOrEqual(few + 1);
    expect(many).toBeLessThanOrEqual(3);
  });
});

describe('the subgraph SDL when the schema is not public', () => {
  let app: TestApp;
  let world: World;
  beforeAll(async () => {
    app = await startTestApp({ NODE_ENV: 'production' });
    world = await createWorld(app);
  });
  afterAll(() => app?.stop());

  test('_service answers like __schema: anonymous 401 UNAUTHENTICATED, non-admins 403 FORBIDDEN, admins get it', async () => {
    const readOnlyToken = await createToken(app, world.admin, { role: 'READ_ONLY', name: 'sdl-ro' });
    for (const query of ['{ _service { sdl } }', '{ __schema { types { name } } }']) {
      const anonymous = await app.gql(query);
      expect([anonymous.status, anonymous.errors?.[0].extensions?.code, anonymous.data]).toEqual([401, 'UNAUTHENTICATED', undefined]);
      expect(anonymous.errors?.[0].message).toBe('Introspection is only available to OWNER and ADMIN callers');
      for (const who of [world.member.session, world.readOnly.session, auth.apiKey(readOnlyToken.secret)]) {
        const denied = await app.gql(query, {}, who);
        expect([denied.status, denied.errors?.[0].extensions?.code, denied.data]).toEqual([403, 'FORBIDDEN', undefined]);
      }
    }
    // Inside a fragment or under an alias it is still the SDL.
    const aliased = await app.gql('{ ...S } fragment S on Query { s: _service { sdl } }');
    expect([aliased.status, aliased.errors?.[0].extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    for (const who of [world.admin.session, world.owner.session]) {
      const data = await app.ok('{ _service { sdl } }', {}, who);
      expect(data._service.sdl).toContain('@key(fields: "id")');
    }
  });
});
