import { SignJWT } from 'jose';
import { generateIdentityKeyPem, parseIdentityKey } from '../../src/auth/identity-keys';
import type { RunningGateway } from '../../src/gateway/gateway';
import { composeSupergraph } from '../../src/gateway/compose';
import { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../../src/subgraph-kit';
import { INVENTORY_SDL } from '../../examples/inventory/inventory';
import { GATEWAY_SECRET, IDENTITY_KEY_PEM, post, startSupergraph, Supergraph } from '../helpers/supergraph';
import { startTestApp } from '../helpers/app';
import { Role } from '../../src/common/roles';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { auth, createToken, createWorld, CreatedToken, PASSWORD, SIGN_UP, World } from '../helpers/world';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CATALOG = '{ catalog { id name quantity supplier unitCost } }';
const codes = (errors: Array<{ extensions?: { code?: string } }> | undefined) => (errors ?? []).map((e) => e.extensions?.code);
const paths = (errors: Array<{ path?: Array<string | number> }> | undefined) => (errors ?? []).map((e) => (e.path ?? []).join('.')).sort();

async function signIdentity(claims: Record<string, unknown>, opts: { pem?: string; audience?: string; lifetime?: number; iat?: number } = {}) {
  const keys = parseIdentityKey(opts.pem ?? IDENTITY_KEY_PEM);
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT(claims as never)
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
    .setIssuer('tokengate-gateway')
    .setAudience(opts.audience ?? 'inventory')
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.lifetime ?? 60))
    .sign(keys.privateKey);
}

describe('the gateway in front of the tokens service and the inventory subgraph', () => {
  let sg: Supergraph;
  let world: World;
  let gw: RunningGateway;
  let readOnly: CreatedToken;
  let member: CreatedToken;
  let admin: CreatedToken;
  let stranger: CreatedToken;

  beforeAll(async () => {
    sg = await startSupergraph();
    world = await createWorld(sg.app);
    readOnly = await createToken(sg.app, world.member, { role: 'READ_ONLY', name: 'ro' });
    member = await createToken(sg.app, world.member, { role: 'MEMBER', environment: 'staging', name: 'mem' });
    admin = await createToken(sg.app, world.admin, { name: 'adm' });
    stranger = await createToken(sg.app, world.stranger, { name: 'str' });
    sg.inventory.assign(world.owner.accountId, world.member.id, 'item-1');
    sg.inventory.assign(world.stranger.accountId, world.stranger.id, 'item-2');
    gw = await sg.startGateway('filter', { mode: 'filter' });
  });
  afterAll(() => sg?.stop());

  describe('fields by scope (filter mode)', () => {
    test('anonymous: public fields only; every scoped field is null with UNAUTHORIZED_FIELD_OR_TYPE', async () => {
      const res = await sg.gql(gw, CATALOG);
      expect(res.status).toBe(200);
      expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: null, supplier: null, unitCost: null });
      expect(new Set(codes(res.errors))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));
      expect(paths(res.errors)).toEqual(['catalog.quantity', 'catalog.supplier', 'catalog.unitCost']);
      const viewer = await sg.gql(gw, '{ inventoryViewer { userId } }');
      expect(viewer.data.inventoryViewer).toBeNull();
      expect(codes(viewer.errors)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    });

    test('a READ_ONLY token (scope read) sees quantity, not supplier (read+write) nor unitCost (admin)', async () => {
      const res = await sg.gql(gw, CATALOG, {}, auth.apiKey(readOnly.secret));
      expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: 12, supplier: null, unitCost: null });
      expect(paths(res.errors)).toEqual(['catalog.supplier', 'catalog.unitCost']);
    });

    test('a MEMBER token sees quantity and supplier, not unitCost', async () => {
      const res = await sg.gql(gw, CATALOG, {}, auth.basic(member.username, member.secret));
      expect(res.data.catalog[1]).toEqual({ id: 'item-2', name: 'Gadget', quantity: 3, supplier: 'Gizmo Works', unitCost: null });
      expect(paths(res.errors)).toEqual(['catalog.unitCost']);
    });

    test('an ADMIN token and an OWNER session see everything, without errors', async () => {
      for (const a of [auth.bearer(admin.secret), world.owner.session]) {
        const res = await sg.gql(gw, CATALOG, {}, a);
        expect(res.errors).toBeUndefined();
        expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: expect.any(Number), supplier: 'Acme Supplies', unitCost: 2.5 });
      }
    });

    test('the subgraph gets the signed identity with the scopes, env scope included', async () => {
      const res = await sg.gql(gw, '{ inventoryViewer { userId accountId role scopes } }', {}, auth.apiKey(member.secret));
      expect(res.errors).toBeUndefined();
      expect(res.data.inventoryViewer).toEqual({ userId: world.member.id, accountId: world.owner.accountId, role: 'MEMBER', scopes: ['read', 'write', 'env:staging'] });
    });

    test('an invalid credential is refused outright', async () => {
      const res = await sg.gql(gw, CATALOG, {}, 'APIKey tgk_not-a-real-token');
      expect(res.status).toBe(401);
      expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
      expect(res.data ?? null).toBeNull();
    });
  });

  describe('mutations', () => {
    test('a READ_ONLY token can run no mutation through the gateway, in any subgraph', async () => {
      // Refused by the gateway as a whole (gateway-hardening.test.ts has the details).
      const stock = await sg.gql(gw, 'mutation { adjustStock(itemId: "item-2", delta: -1) { quantity } }', {}, auth.apiKey(readOnly.secret));
      expect([stock.status, codes(stock.errors)]).toEqual([403, ['FORBIDDEN']]);
      const create = await sg.gql(gw, 'mutation { createApiToken(input: { name: "via-gw" }) { secret } }', {}, auth.apiKey(readOnly.secret));
      expect(codes(create.errors)).toEqual(['FORBIDDEN']);
      expect(create.data?.createApiToken ?? null).toBeNull();
      const after = await sg.gql(gw, '{ catalog { id quantity } }', {}, auth.apiKey(admin.secret));
      expect(after.data.catalog[1].quantity).toBe(3);
    });

    test('a MEMBER token can', async () => {
      const res = await sg.gql(gw, 'mutation { adjustStock(itemId: "item-1", delta: 1) { quantity } }', {}, auth.apiKey(member.secret));
      expect(res.errors).toBeUndefined();
      expect(res.data.adjustStock.quantity).toBe(13);
      const created = await sg.gql(gw, 'mutation { createApiToken(input: { name: "via-gw" }) { token { owner { id } } } }', {}, auth.apiKey(member.secret));
      expect(created.errors).toBeUndefined();
      expect(created.data.createApiToken.token.owner.id).toBe(world.member.id);
    });
  });

  test('variables the schema refuses are BAD_USER_INPUT naming the field, without quoting the password sent with them', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ accountName: 'GW', email: 'gw-bad-input@example.com', password: PASSWORD }, 'Field "name" of required type "String!" was not provided.'],
      [{ accountName: 'GW', email: 'gw-bad-input@example.com', password: PASSWORD, name: 'gw', extra: 1 }, 'Field "extra" is not defined by type "SignUpInput".'],
    ];
    for (const [input, reason] of cases) {
      const res = await sg.gql(gw, SIGN_UP, { input });
      expect(res.status).toBe(400);
      expect(res.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', `Variable "$input" got an invalid value; ${reason}`]]);
      expect(res.raw).not.toContain(PASSWORD);
    }
  });

  describe('custom catalog scopes (inventory:write)', () => {
    const REORDER = '{ catalog { id reorderLevel } }';
    const SET = 'mutation($id: ID!, $level: Int!) { setReorderLevel(itemId: $id, level: $level) { id reorderLevel } }';
    let scopeId: string;
    let withScope: CreatedToken;
    let without: CreatedToken;
    beforeAll(async () => {
      const created = await sg.app.ok('mutation { createScope(input: { name: "inventory:write", minRole: MEMBER }) { id } }', {}, world.owner.session);
      scopeId = created.createScope.id;
      withScope = await createToken(sg.app, world.member, { role: 'MEMBER', name: 'inv-writer', scopes: ['inventory:write'] });
      without = await createToken(sg.app, world.member, { role: 'MEMBER', name: 'inv-plain' });
    });

    test('a token carrying inventory:write reads the fields and runs the mutation that require it', async () => {
      const read = await sg.gql(gw, REORDER, {}, auth.apiKey(withScope.secret));
      expect(read.errors).toBeUndefined();
      expect(read.data.catalog).toEqual([
        { id: 'item-1', reorderLevel: 5 },
        { id: 'item-2', reorderLevel: 2 },
      ]);
      const set = await sg.gql(gw, SET, { id: 'item-2', level: 4 }, auth.apiKey(withScope.secret));
      expect(set.errors).toBeUndefined();
      expect(set.data.setReorderLevel).toEqual({ id: 'item-2', reorderLevel: 4 });
      const viewer = await sg.gql(gw, '{ inventoryViewer { scopes } }', {}, auth.apiKey(withScope.secret));
      expect(viewer.data.inventoryViewer.scopes).toEqual(['read', 'write', 'inventory:write']);
    });

    test('the same owner and role without the scope (and an ADMIN, whose role does not imply it) cannot', async () => {
      for (const a of [auth.apiKey(without.secret), auth.bearer(admin.secret)]) {
        const read = await sg.gql(gw, REORDER, {}, a);
        expect(read.data.catalog).toEqual([
          { id: 'item-1', reorderLevel: null },
          { id: 'item-2', reorderLevel: null },
        ]);
        expect(new Set(codes(read.errors))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));
        const set = await sg.gql(gw, SET, { id: 'item-2', level: 9 }, a);
        expect(codes(set.errors)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
        expect(set.data?.setReorderLevel ?? null).toBeNull();
      }
      const check = await sg.gql(gw, REORDER, {}, auth.apiKey(withScope.secret));
      expect(check.data.catalog[1].reorderLevel).toBe(4);
    });

    test('a MEMBER cannot mint a READ_ONLY token carrying inventory:write through the gateway, and one minted before this rule grants it nowhere', async () => {
      const refused = await sg.gql(
        gw,
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
        {
          input: { name: 'ro-inv-writer', role: 'READ_ONLY', scopes: ['inventory:write'] },
        },
        world.member.session,
      );
      expect(codes(refused.errors)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors![0].message).toContain('inventory:write');
      expect(refused.data?.createApiToken ?? null).toBeNull();
      // Older versions allowed it: the row such a request left behind.
      const legacy = await createToken(sg.app, world.member, { role: 'MEMBER', name: 'legacy-ro-writer', scopes: ['inventory:write'] });
      await sg.app.server.dataSource.getRepository(ApiToken).update({ id: legacy.id }, { role: Role.READ_ONLY });
      sg.app.server.authenticator.cache.invalidateToken(legacy.id);
      const gwi = await sg.startGateway('catalog-introspection', { via: 'introspection' });
      for (const g of [gw, gwi]) {
        const viewer = await sg.gql(g, '{ inventoryViewer { role scopes } }', {}, auth.apiKey(legacy.secret));
        expect(viewer.data.inventoryViewer).toEqual({ role: 'READ_ONLY', scopes: ['read'] });
        const read = await sg.gql(g, REORDER, {}, auth.apiKey(legacy.secret));
        expect(read.data.catalog[1].reorderLevel).toBeNull();
        expect(new Set(codes(read.errors))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));
        // The mutation is refused whole by the gateway's rule that READ_ONLY tokens run queries only
        // (the read above shows the scope itself grants nothing either).
        const set = await sg.gql(g, SET, { id: 'item-2', level: 7 }, auth.apiKey(legacy.secret));
        expect(codes(set.errors)).toEqual(['FORBIDDEN']);
        expect(set.data?.setReorderLevel ?? null).toBeNull();
      }
      const check = await sg.gql(gw, REORDER, {}, auth.apiKey(withScope.secret));
      expect(check.data.catalog[1].reorderLevel).toBe(4);
    });

    test('deleting the scope from the catalog takes it away from the token at once', async () => {
      await sg.app.ok('mutation($id: ID!) { deleteScope(id: $id) }', { id: scopeId }, world.admin.session);
      const set = await sg.gql(gw, SET, { id: 'item-2', level: 1 }, auth.apiKey(withScope.secret));
      expect(codes(set.errors)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
      const read = await sg.gql(gw, REORDER, {}, auth.apiKey(withScope.secret));
      expect(read.data.catalog[1].reorderLevel).toBeNull();
    });
  });

  describe('identity headers', () => {
    test('a forged identity and gateway credential sent by a client reach no subgraph', async () => {
      const forged = await signIdentity({ sub: world.owner.id, acc: world.owner.accountId, role: 'OWNER', via: 'session', scope: 'read write admin' }, { pem: generateIdentityKeyPem() });
      const genuine = await signIdentity({ sub: world.owner.id, acc: world.owner.accountId, role: 'OWNER', via: 'session', scope: 'read write admin' });
      for (const identity of [forged, genuine]) {
        sg.inventoryRequests.length = 0;
        sg.tokensRequests.length = 0;
        const headers = { [IDENTITY_HEADER]: identity, [GATEWAY_SECRET_HEADER]: 'guess' };
        const anon = await sg.gql(gw, '{ catalog { id unitCost } me { id } inventoryViewer { role } }', {}, undefined, headers);
        expect(anon.data.catalog[0].unitCost).toBeNull();
        expect(anon.data.me).toBeNull();
        expect(anon.data.inventoryViewer).toBeNull();
        const ro = await sg.gql(gw, '{ inventoryViewer { role scopes } me { id } }', {}, auth.apiKey(readOnly.secret), headers);
        expect(ro.data.inventoryViewer).toEqual({ role: 'READ_ONLY', scopes: ['read'] });
        expect(ro.data.me.id).toBe(world.member.id);
        const seen = [...sg.inventoryRequests, ...sg.tokensRequests];
        expect(seen.length).toBeGreaterThanOrEqual(3);
        for (const h of seen) {
          expect(h[GATEWAY_SECRET_HEADER]).toBe(GATEWAY_SECRET);
          expect(h[IDENTITY_HEADER]).not.toBe(identity);
          expect(h.authorization).toBeUndefined();
        }
      }
    });

    test('the inventory subgraph refuses direct calls without the gateway credential', async () => {
      const res = await post(sg.inventory.url, '{ catalog { id } }');
      expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
      expect(res.data ?? null).toBeNull();
      const sdl = await post(sg.inventory.url, '{ _service { sdl } }');
      expect(codes(sdl.errors)).toEqual(['UNAUTHENTICATED']);
      const withAuth = await post(sg.inventory.url, '{ catalog { id } }', {}, auth.apiKey(admin.secret));
      expect(codes(withAuth.errors)).toEqual(['UNAUTHENTICATED']);
    });

    test('subgraphs refuse forged identities: bad signature, wrong audience, expired, or no credential', async () => {
      const claims = { sub: world.owner.id, acc: world.owner.accountId, role: 'OWNER', via: 'session', scope: 'read write admin' };
      const bad = [
        { jwt: await signIdentity(claims, { pem: generateIdentityKeyPem() }), secret: GATEWAY_SECRET },
        { jwt: await signIdentity(claims, { audience: 'tokens' }), secret: GATEWAY_SECRET },
        { jwt: await signIdentity(claims, { iat: Math.floor(Date.now() / 1000) - 600 }), secret: GATEWAY_SECRET },
        { jwt: await signIdentity(claims, { lifetime: 3600 }), secret: GATEWAY_SECRET },
        { jwt: await signIdentity(claims), secret: undefined },
        { jwt: await signIdentity(claims), secret: 'wrong-secret' },
      ];
      for (const { jwt, secret } of bad) {
        const headers: Record<string, string> = { [IDENTITY_HEADER]: jwt };
        if (secret) headers[GATEWAY_SECRET_HEADER] = secret;
        const res = await post(sg.inventory.url, '{ inventoryViewer { role } }', {}, undefined, headers);
        expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
      }
      const good = await post(sg.inventory.url, '{ inventoryViewer { role } }', {}, undefined, { [IDENTITY_HEADER]: await signIdentity(claims), [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET });
      expect(good.data.inventoryViewer.role).toBe('OWNER');
    });

    test('the tokens service refuses forged identities and trusts a genuine one', async () => {
      const sid = JSON.parse(Buffer.from(world.admin.session.split('.')[1], 'base64url').toString()).sid;
      const claims = { sub: world.admin.id, acc: world.owner.accountId, role: 'ADMIN', via: 'session', sid, scope: 'read write admin' };
      const forgedSets: Array<Record<string, string>> = [
        { [IDENTITY_HEADER]: await signIdentity(claims, { audience: 'tokens', pem: generateIdentityKeyPem() }), [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        { [IDENTITY_HEADER]: await signIdentity(claims, { audience: 'inventory' }), [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        { [IDENTITY_HEADER]: await signIdentity(claims, { audience: 'tokens' }) },
        { [IDENTITY_HEADER]: 'not-a-jwt', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
      ];
      for (const headers of forgedSets) {
        const res = await post(sg.app.url, '{ me { id } }', {}, world.member.session, headers);
        expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
      }
      const genuine = await post(sg.app.url, '{ me { id role } }', {}, undefined, {
        [IDENTITY_HEADER]: await signIdentity(claims, { audience: 'tokens' }),
        [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET,
      });
      expect(genuine.data.me).toEqual({ id: world.admin.id, role: 'ADMIN' });
    });

    test('the tokens service publishes the verification keys', async () => {
      const res = await fetch(`${sg.app.base}/.well-known/jwks.json`);
      const jwks = await res.json();
      expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: parseIdentityKey(IDENTITY_KEY_PEM).kid })]);
      expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    });
  });

  describe('accounts stay apart', () => {
    test("User.items shows only the caller's account; another account's objects stay null", async () => {
      const mine = await sg.gql(gw, '{ me { id items { id } } }', {}, auth.apiKey(member.secret));
      expect(mine.data.me.items).toEqual([{ id: 'item-1' }]);
      const theirs = await sg.gql(gw, '{ me { items { id } } }', {}, auth.apiKey(stranger.secret));
      expect(theirs.data.me.items).toEqual([{ id: 'item-2' }]);
      const q = 'query($id: ID!) { apiToken(id: $id) { id owner { id items { id name } } } }';
      const cross = await sg.gql(gw, q, { id: member.id }, auth.apiKey(stranger.secret));
      expect(cross.errors).toBeUndefined();
      expect(cross.data.apiToken).toBeNull();
      const own = await sg.gql(gw, q, { id: member.id }, world.admin.session);
      expect(own.data.apiToken.owner.items).toEqual([{ id: 'item-1', name: 'Widget' }]);
    });

    test('_entities and _service are not part of the public supergraph', async () => {
      const res = await sg.gql(gw, '{ _entities(representations: [{ __typename: "User", id: "x" }]) { __typename } }', {}, world.owner.session);
      expect(codes(res.errors)).toContain('GRAPHQL_VALIDATION_FAILED');
      const sdl = await sg.gql(gw, '{ _service { sdl } }', {}, world.owner.session);
      expect(sdl.errors?.length).toBeGreaterThan(0);
      expect(sdl.raw).not.toContain('@key');
    });
  });

  describe('revocation', () => {
    test('with the cache off (TTL 0) a revoked token is refused on the very next request', async () => {
      const gw0 = await sg.startGateway('ttl0', { ttlMs: 0 });
      const t = await createToken(sg.app, world.member, { name: 'to-revoke' });
      expect((await sg.gql(gw0, '{ me { id } }', {}, auth.apiKey(t.secret))).data.me.id).toBe(world.member.id);
      await sg.app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { status } }', { id: t.id }, world.member.session);
      const res = await sg.gql(gw0, '{ me { id } }', {}, auth.apiKey(t.secret));
      expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
    });
  });

  test.each(['inProcessSeparate', 'introspection'] as const)(
    'with a cache (%s), a revoked token stops at the gateway itself once the documented bound (GATEWAY_AUTH_CACHE_TTL_MS) has passed',
    async (via) => {
      const ttlMs = 300;
      const gwc = await sg.startGateway(`ttl300-${via}`, { ttlMs, via });
      const t = await createToken(sg.app, world.member, { name: `cached-revoke-${via}` });
      expect((await sg.gql(gwc, '{ inventoryViewer { userId } }', {}, auth.apiKey(t.secret))).data.inventoryViewer.userId).toBe(world.member.id);
      await sg.app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { status } }', { id: t.id }, world.member.session);
      await new Promise((r) => setTimeout(r, ttlMs + 100));
      // An operation for the inventory subgraph alone: only the gateway can refuse it.
      const res = await sg.gql(gwc, '{ inventoryViewer { userId } }', {}, auth.apiKey(t.secret));
      expect(res.status).toBe(401);
      expect(codes(res.errors)).toEqual(['UNAUTHENTICATED']);
    },
  );

  describe('reject mode', () => {
    let gwr: RunningGateway;
    beforeAll(async () => {
      gwr = await sg.startGateway('reject', { mode: 'reject' });
    });

    test('an operation touching one unauthorized field is refused whole', async () => {
      const res = await sg.gql(gwr, CATALOG, {}, auth.apiKey(readOnly.secret));
      expect(res.status).toBe(403);
      expect(res.data ?? null).toBeNull();
      expect(new Set(codes(res.errors))).toEqual(new Set(['UNAUTHORIZED_FIELD_OR_TYPE']));
      const anon = await sg.gql(gwr, '{ catalog { quantity } }');
      expect(anon.status).toBe(401);
      expect(anon.data ?? null).toBeNull();
    });

    test('an operation within the scopes runs', async () => {
      const res = await sg.gql(gwr, '{ catalog { name quantity } }', {}, auth.apiKey(readOnly.secret));
      expect(res.errors).toBeUndefined();
      expect(res.data.catalog).toHaveLength(2);
      const anon = await sg.gql(gwr, '{ catalog { name } }');
      expect(anon.data.catalog[0].name).toBe('Widget');
    });
  });

  describe('remote authentication (introspection endpoint)', () => {
    let gwi: RunningGateway;
    beforeAll(async () => {
      gwi = await sg.startGateway('introspection', { via: 'introspection', ttlMs: 0 });
    });

    test('the gateway authenticates through POST /internal/introspect', async () => {
      const res = await sg.gql(gwi, '{ catalog { quantity supplier } inventoryViewer { scopes } }', {}, auth.basic(readOnly.username, readOnly.secret));
      expect(typeof res.data.catalog[0].quantity).toBe('number');
      expect(res.data.catalog[0].supplier).toBeNull();
      expect(res.data.inventoryViewer.scopes).toEqual(['read']);
      const session = await sg.gql(gwi, '{ me { id } }', {}, world.owner.session);
      expect(session.data.me.id).toBe(world.owner.id);
      const bad = await sg.gql(gwi, '{ me { id } }', {}, 'APIKey tgk_nope');
      expect(codes(bad.errors)).toEqual(['UNAUTHENTICATED']);
    });

    test('the endpoint answers RFC 7662-style, and only to the gateway', async () => {
      const url = `${sg.app.base}/internal/introspect`;
      const noSecret = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: member.secret }) });
      expect(noSecret.status).toBe(401);
      const wrong = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET + 'x' },
        body: JSON.stringify({ token: member.secret }),
      });
      expect(wrong.status).toBe(401);
      const ok = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        body: new URLSearchParams({ token: member.secret }),
      });
      expect(await ok.json()).toEqual({
        active: true,
        sub: world.member.id,
        acc: world.owner.accountId,
        role: 'MEMBER',
        via: 'apiToken',
        scope: 'read write env:staging',
        exp: expect.any(Number),
        token_id: member.id,
        token_type: 'api_token',
        sfp: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        env: 'staging',
        username: member.username,
      });
      const session = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        body: JSON.stringify({ token: world.owner.session.slice('Bearer '.length) }),
      });
      expect(await session.json()).toEqual({
        active: true,
        sub: world.owner.id,
        acc: world.owner.accountId,
        role: 'OWNER',
        via: 'session',
        scope: 'read write admin',
        exp: expect.any(Number),
        token_type: 'session',
        sid: JSON.parse(Buffer.from(world.owner.session.split('.')[1], 'base64url').toString()).sid,
      });
      const t = await createToken(sg.app, world.member, { name: 'introspect-revoke' });
      await sg.app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { status } }', { id: t.id }, world.member.session);
      const revoked = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        body: JSON.stringify({ token: t.secret }),
      });
      expect(await revoked.json()).toEqual({ active: false });
    });
  });

  describe('rate limits', () => {
    test('per token: the (n+1)th request in a minute gets RATE_LIMITED; other tokens are unaffected', async () => {
      const gwl = await sg.startGateway('limited', { perToken: 3, perIp: 2 });
      for (let i = 0; i < 3; i++) expect((await sg.gql(gwl, '{ catalog { name } }', {}, auth.apiKey(readOnly.secret))).errors).toBeUndefined();
      const over = await sg.gql(gwl, '{ catalog { name } }', {}, auth.apiKey(readOnly.secret));
      expect(over.status).toBe(429);
      expect(codes(over.errors)).toEqual(['RATE_LIMITED']);
      expect((await sg.gql(gwl, '{ catalog { name } }', {}, auth.apiKey(member.secret))).errors).toBeUndefined();
      // anonymous traffic per IP (failed credentials count against it too)
      expect((await sg.gql(gwl, '{ catalog { name } }')).errors).toBeUndefined();
      expect(codes((await sg.gql(gwl, '{ catalog { name } }', {}, 'APIKey tgk_bad')).errors)).toEqual(['UNAUTHENTICATED']);
      const anon = await sg.gql(gwl, '{ catalog { name } }');
      expect(codes(anon.errors)).toEqual(['RATE_LIMITED']);
    });
  });

  describe('subgraph errors', () => {
    test('an unreachable subgraph yields a masked error without internal URLs', async () => {
      const deadSdl = composeSupergraph([
        { name: 'tokens', url: sg.app.url, typeDefs: readFileSync(join(__dirname, '../../schema/subgraph.graphql'), 'utf8') },
        { name: 'inventory', url: 'http://127.0.0.1:9/graphql', typeDefs: INVENTORY_SDL },
      ]);
      const gwd = await sg.startGateway('dead', { supergraphSdl: deadSdl });
      const res = await sg.gql(gwd, '{ catalog { name } }', {}, world.owner.session);
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(res.raw).not.toMatch(/127\.0\.0\.1|:9\b|ECONNREFUSED|http:\/\//);
      const ok = await sg.gql(gwd, '{ me { id } }', {}, world.owner.session);
      expect(ok.data.me.id).toBe(world.owner.id);
    });
  });
});

describe('TOKENS_REQUIRE_GATEWAY', () => {
  test('refuses direct calls without the gateway credential; health and keys stay public', async () => {
    const app = await startTestApp({ GATEWAY_SECRET, IDENTITY_PRIVATE_KEY: IDENTITY_KEY_PEM, TOKENS_REQUIRE_GATEWAY: 'true' });
    try {
      const direct = await app.gql('{ me { id } }');
      expect(codes(direct.errors)).toEqual(['UNAUTHENTICATED']);
      const signUp = await app.gql('mutation { signUp(input: { accountName: "x", email: "x@example.com", password: "long enough password", name: "x" }) { accessToken } }');
      expect(codes(signUp.errors)).toEqual(['UNAUTHENTICATED']);
      const viaGateway = await post(app.url, '{ me { id } }', {}, undefined, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET });
      expect(viaGateway.errors).toBeUndefined();
      expect(viaGateway.data.me).toBeNull();
      expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
      expect((await fetch(`${app.base}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
