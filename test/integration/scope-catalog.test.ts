import { Role } from '../../src/common/roles';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { startTestApp, TestApp } from '../helpers/app';
import { Actor, auth, createToken, createWorld, World } from '../helpers/world';

const SCOPES = '{ scopes { id name description minRole } }';
const CREATE = 'mutation($input: CreateScopeInput!) { createScope(input: $input) { id name description minRole } }';
const DELETE = 'mutation($id: ID!) { deleteScope(id: $id) }';
const TOKEN_SCOPES = 'query($id: ID!) { apiToken(id: $id) { scopes } }';
const UPDATE_ROLE = 'mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { role } }';

describe('the account catalog of custom scopes', () => {
  let app: TestApp;
  let world: World;
  beforeAll(async () => {
    app = await startTestApp();
    world = await createWorld(app);
  });
  afterAll(() => app?.stop());

  const create = (by: Actor | string, input: Record<string, unknown>) => app.ok(CREATE, { input }, typeof by === 'string' ? by : by.session).then((d) => d.createScope);
  const tokenScopes = async (id: string, by: Actor = world.owner) => (await app.ok(TOKEN_SCOPES, { id }, by.session)).apiToken.scopes;
  /** What the service itself sees for a token: the Principal's scopes, as introspection answers them. */
  const principalScopes = async (secret: string) => {
    const res = await app.server.authenticator.authenticate({ kind: 'apiToken', secret, scheme: 'APIKey' }, '127.0.0.1');
    return res!.scopes;
  };

  describe('managing the catalog', () => {
    test('OWNER and ADMIN create scopes; every user of the account lists them, minRole defaulting to MEMBER', async () => {
      const a = await create(world.owner, { name: 'catalog:one', description: 'first' });
      expect(a).toEqual({ id: expect.any(String), name: 'catalog:one', description: 'first', minRole: 'MEMBER' });
      const b = await create(world.admin, { name: 'catalog:two', minRole: 'ADMIN' });
      expect(b.minRole).toBe('ADMIN');
      for (const who of [world.owner, world.admin, world.member, world.readOnly]) {
        const names = (await app.ok(SCOPES, {}, who.session)).scopes.map((s: { name: string }) => s.name);
        expect(names).toEqual(expect.arrayContaining(['catalog:one', 'catalog:two']));
      }
      const audit = await app.ok('{ auditEvents(filter: { action: "scope.created" }) { nodes { targetId actorId } } }', {}, world.owner.session);
      expect(audit.auditEvents.nodes.map((n: { targetId: string }) => n.targetId)).toEqual(expect.arrayContaining([a.id, b.id]));
    });

    test('bad input: malformed, too long, reserved or duplicate names', async () => {
      for (const name of ['Inventory:write', 'inventory write', '9lives', 'a:', 'x'.repeat(65), 'read', 'admin', 'env:production', '']) {
        const err = await app.fail(CREATE, { input: { name } }, world.owner.session);
        expect(err.code).toBe('BAD_USER_INPUT');
        expect(err.message).toContain('name');
      }
      await create(world.owner, { name: 'dup:scope' });
      expect((await app.fail(CREATE, { input: { name: 'dup:scope' } }, world.admin.session)).code).toBe('CONFLICT');
      expect((await app.fail(CREATE, { input: { name: 'ok:scope', description: 'd'.repeat(1001) } }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    });

    test('unauthenticated callers can neither list nor change the catalog', async () => {
      expect((await app.fail(SCOPES)).code).toBe('UNAUTHENTICATED');
      expect((await app.fail(CREATE, { input: { name: 'anon:scope' } })).code).toBe('UNAUTHENTICATED');
      expect((await app.fail(DELETE, { id: 'x' })).code).toBe('UNAUTHENTICATED');
    });

    test('MEMBER, READ_ONLY and an ADMIN-role token used by a MEMBER cannot change it (FORBIDDEN)', async () => {
      const s = await create(world.owner, { name: 'forbidden:probe' });
      for (const who of [world.member, world.readOnly]) {
        expect((await app.fail(CREATE, { input: { name: 'nope:scope' } }, who.session)).code).toBe('FORBIDDEN');
        expect((await app.fail(DELETE, { id: s.id }, who.session)).code).toBe('FORBIDDEN');
      }
      const ro = await createToken(app, world.owner, { role: 'READ_ONLY' });
      expect((await app.fail(CREATE, { input: { name: 'nope:scope' } }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
      const names = (await app.ok(SCOPES, {}, world.owner.session)).scopes.map((x: { name: string }) => x.name);
      expect(names).not.toContain('nope:scope');
    });

    test("another account's catalog is absent: not listed, its scopes cannot be deleted (NOT_FOUND) nor minted", async () => {
      const mine = await create(world.owner, { name: 'private:scope' });
      const theirs = (await app.ok(SCOPES, {}, world.stranger.session)).scopes.map((x: { name: string }) => x.name);
      expect(theirs).not.toContain('private:scope');
      expect((await app.fail(DELETE, { id: mine.id }, world.stranger.session)).code).toBe('NOT_FOUND');
      const err = await app.fail(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
        { input: { name: 'x', scopes: ['private:scope'] } },
        world.stranger.session,
      );
      expect(err.code).toBe('BAD_USER_INPUT');
      expect(err.message).toContain('private:scope');
      // The stranger may have a scope of the same name in their own catalog, independent of ours.
      const same = await create(world.stranger, { name: 'private:scope' });
      expect(same.id).not.toBe(mine.id);
      expect((await app.ok(SCOPES, {}, world.owner.session)).scopes.filter((x: { name: string }) => x.name === 'private:scope')).toHaveLength(1);
    });
  });

  describe('minting tokens with catalog scopes', () => {
    beforeAll(async () => {
      await create(world.owner, { name: 'inventory:write', minRole: 'MEMBER' });
      await create(world.owner, { name: 'billing:admin', minRole: 'ADMIN' });
      await create(world.owner, { name: 'reports:read', minRole: 'READ_ONLY' });
    });

    test('a token carries catalog scopes: ApiToken.scopes and the Principal list them after the role and env scopes', async () => {
      const t = await createToken(app, world.member, { role: 'MEMBER', environment: 'staging', scopes: ['inventory:write', 'reports:read', 'inventory:write'] });
      expect(await tokenScopes(t.id, world.member)).toEqual(['read', 'write', 'env:staging', 'inventory:write', 'reports:read']);
      expect(await principalScopes(t.secret)).toEqual(['read', 'write', 'env:staging', 'inventory:write', 'reports:read']);
      const plain = await createToken(app, world.member, { role: 'MEMBER' });
      expect(await tokenScopes(plain.id, world.member)).toEqual(['read', 'write']);
      const audit = await app.ok('{ auditEvents(filter: { action: "token.created" }) { nodes { targetId details } } }', {}, world.owner.session);
      const ev = audit.auditEvents.nodes.find((n: { targetId: string }) => n.targetId === t.id);
      expect(JSON.parse(ev.details).scopes).toEqual(['inventory:write', 'reports:read']);
    });

    test('a scope missing from the catalog is BAD_USER_INPUT naming it', async () => {
      for (const bad of ['unknown:scope', 'read', 'NOT A SCOPE']) {
        const err = await app.fail(
          'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
          { input: { name: `bad-${bad}`, scopes: ['inventory:write', bad] } },
          world.owner.session,
        );
        expect(err.code).toBe('BAD_USER_INPUT');
        expect(err.message).toContain(bad);
      }
    });

    test("the issuer's effective role and the owner's role must both reach the scope's minRole", async () => {
      const mint = (by: string, input: Record<string, unknown>) =>
        app.fail('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }', { input: { name: `m-${Math.random()}`, ...input } }, by);
      // The issuer is too low.
      expect((await mint(world.member.session, { scopes: ['billing:admin'] })).code).toBe('FORBIDDEN');
      expect((await mint(world.readOnly.session, { scopes: ['inventory:write'] })).code).toBe('FORBIDDEN');
      // The owner is too low, even when an admin issues it.
      expect((await mint(world.admin.session, { ownerId: world.member.id, scopes: ['billing:admin'] })).code).toBe('FORBIDDEN');
      expect((await mint(world.owner.session, { ownerId: world.readOnly.id, scopes: ['inventory:write'] })).code).toBe('FORBIDDEN');
      // The issuer's effective role through an API token is capped by the token's role.
      const memberRoleToken = await createToken(app, world.admin, { role: 'MEMBER', scopes: ['inventory:write'] });
      expect((await mint(auth.apiKey(memberRoleToken.secret), { scopes: ['billing:admin'] })).code).toBe('FORBIDDEN');
      // Allowed combinations.
      const ok = await createToken(app, world.admin, { ownerId: world.member.id, scopes: ['inventory:write'] });
      expect(await tokenScopes(ok.id)).toContain('inventory:write');
      const ro = await createToken(app, world.readOnly, { scopes: ['reports:read'] });
      expect(await tokenScopes(ro.id)).toEqual(['read', 'reports:read']);
      const adm = await createToken(app, world.admin, { scopes: ['billing:admin'] });
      expect(await tokenScopes(adm.id)).toContain('billing:admin');
    });

    test("the new token's own role must reach the scope's minRole: a MEMBER cannot mint a READ_ONLY token that writes (BAD_USER_INPUT)", async () => {
      const before = (await app.ok('{ apiTokens(first: 100) { totalCount } }', {}, world.member.session)).apiTokens.totalCount;
      const err = await app.fail(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { scopes } } }',
        {
          input: { name: 'ro-writer', role: 'READ_ONLY', scopes: ['inventory:write'] },
        },
        world.member.session,
      );
      expect(err.code).toBe('BAD_USER_INPUT');
      expect(err.message).toContain('"inventory:write" requires MEMBER');
      expect(err.message).toContain('READ_ONLY token');
      // The same through an ADMIN's API token, and for an ADMIN-only scope on a MEMBER-role token.
      const adminKey = await createToken(app, world.admin, { role: 'ADMIN', scopes: ['billing:admin'] });
      const viaToken = await app.fail(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
        {
          input: { name: 'member-billing', role: 'MEMBER', scopes: ['billing:admin'] },
        },
        auth.apiKey(adminKey.secret),
      );
      expect(viaToken.code).toBe('BAD_USER_INPUT');
      expect(viaToken.message).toContain('billing:admin');
      expect((await app.ok('{ apiTokens(first: 100) { totalCount } }', {}, world.member.session)).apiTokens.totalCount).toBe(before);
      // A READ_ONLY token may still carry a scope meant for READ_ONLY.
      const ok = await createToken(app, world.member, { role: 'READ_ONLY', scopes: ['reports:read'] });
      expect(await tokenScopes(ok.id, world.member)).toEqual(['read', 'reports:read']);
    });

    test("a token carrying a scope above its own role (minted before this rule) grants it nowhere: the token's role caps it, not only the owner's", async () => {
      const t = await createToken(app, world.member, { role: 'MEMBER', scopes: ['inventory:write', 'reports:read'] });
      expect(await principalScopes(t.secret)).toEqual(['read', 'write', 'inventory:write', 'reports:read']);
      // Older versions let a MEMBER mint { role: READ_ONLY, scopes: ["inventory:write"] }: make such a row.
      await app.server.dataSource.getRepository(ApiToken).update({ id: t.id }, { role: Role.READ_ONLY });
      app.server.authenticator.cache.invalidateToken(t.id);
      expect(await tokenScopes(t.id, world.member)).toEqual(['read', 'reports:read']);
      expect(await principalScopes(t.secret)).toEqual(['read', 'reports:read']);
      const me = await app.ok('{ me { id } }', {}, auth.apiKey(t.secret));
      expect(me.me.id).toBe(world.member.id);
      expect(await principalScopes(t.secret)).toEqual(['read', 'reports:read']);
    });

    test('through an API token, only the catalog scopes that token carries can be passed on', async () => {
      const carrier = await createToken(app, world.admin, { role: 'ADMIN', scopes: ['inventory:write'] });
      const child = await createToken(app, auth.apiKey(carrier.secret), { scopes: ['inventory:write'] });
      expect(await tokenScopes(child.id)).toContain('inventory:write');
      const err = await app.fail(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
        { input: { name: 'no-carry', scopes: ['billing:admin'] } },
        auth.apiKey(carrier.secret),
      );
      expect(err.code).toBe('FORBIDDEN');
      expect(err.message).toContain('billing:admin');
      const bare = await createToken(app, world.admin, { role: 'ADMIN' });
      expect(
        (
          await app.fail(
            'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
            { input: { name: 'bare-carry', scopes: ['inventory:write'] } },
            auth.apiKey(bare.secret),
          )
        ).code,
      ).toBe('FORBIDDEN');
    });

    test("a catalog scope stops being granted while the owner's role is below its minRole, and returns with the role", async () => {
      const user = await app.ok(
        'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
        {
          input: { email: `demote.${Date.now()}@example.com`, name: 'demote', password: 'correct horse battery staple', role: 'ADMIN' },
        },
        world.owner.session,
      );
      const id = user.createUser.id;
      const t = await createToken(app, world.owner, { ownerId: id, role: 'ADMIN', scopes: ['billing:admin', 'inventory:write'] });
      expect(await principalScopes(t.secret)).toEqual(['read', 'write', 'admin', 'billing:admin', 'inventory:write']);
      await app.ok(UPDATE_ROLE, { id, role: 'MEMBER' }, world.owner.session);
      // ApiToken.scopes lists the token's role scopes; the catalog scopes follow its effective role.
      expect(await tokenScopes(t.id)).toEqual(['read', 'write', 'admin', 'inventory:write']);
      expect(await principalScopes(t.secret)).toEqual(['read', 'write', 'inventory:write']);
      await app.ok(UPDATE_ROLE, { id, role: 'ADMIN' }, world.owner.session);
      expect(await tokenScopes(t.id)).toEqual(['read', 'write', 'admin', 'billing:admin', 'inventory:write']);
    });
  });

  describe('deleting a scope', () => {
    test('takes it out of every token at once, the verification cache included, and a same-named successor is not inherited', async () => {
      const s = await create(world.admin, { name: 'temp:scope' });
      const t = await createToken(app, world.member, { scopes: ['temp:scope'] });
      // Authenticate once so the verification cache holds the token with its catalog scope.
      expect((await app.ok('{ me { id } }', {}, auth.apiKey(t.secret))).me.id).toBe(world.member.id);
      expect(await principalScopes(t.secret)).toContain('temp:scope');
      expect(await app.ok(DELETE, { id: s.id }, world.admin.session)).toEqual({ deleteScope: s.id });
      expect(await tokenScopes(t.id, world.member)).toEqual(['read', 'write']);
      expect(await principalScopes(t.secret)).toEqual(['read', 'write']);
      expect((await app.ok(SCOPES, {}, world.member.session)).scopes.map((x: { name: string }) => x.name)).not.toContain('temp:scope');
      await create(world.admin, { name: 'temp:scope' });
      expect(await tokenScopes(t.id, world.member)).toEqual(['read', 'write']);
      expect(await principalScopes(t.secret)).toEqual(['read', 'write']);
      expect((await app.fail(DELETE, { id: s.id }, world.admin.session)).code).toBe('NOT_FOUND');
      const audit = await app.ok('{ auditEvents(filter: { action: "scope.deleted" }) { nodes { targetId details } } }', {}, world.owner.session);
      const ev = audit.auditEvents.nodes.find((n: { targetId: string }) => n.targetId === s.id);
      expect(JSON.parse(ev.details)).toMatchObject({ name: 'temp:scope', tokens: 1 });
    });

    test('a new catalog scope reaches a token minted with it even when the token was cached before', async () => {
      const t = await createToken(app, world.owner, { role: 'MEMBER' });
      expect(await principalScopes(t.secret)).toEqual(['read', 'write']);
      await create(world.owner, { name: 'late:scope' });
      expect(await principalScopes(t.secret)).toEqual(['read', 'write']);
    });
  });
});
