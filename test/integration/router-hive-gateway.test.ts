import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { createRemoteJwksSigningKeyProvider, extractFromHeader, useJWT } from '@graphql-mesh/plugin-jwt-auth';
import httpTransport from '@graphql-mesh/transport-http';
import { TOKEN_TYPES } from '../../src/auth/exchange-tokens';
import { clock } from '../../src/common/clock';
import { composeSupergraph } from '../../src/gateway/compose';
import { GATEWAY_SECRET_HEADER } from '../../src/subgraph-kit';
import { INVENTORY_SDL, InventoryServer, startInventory } from '../../examples/inventory/inventory';
import { startTestApp, TestApp } from '../helpers/app';
import { REVOKE, setPolicy } from '../helpers/api-tokens';
import { post } from '../helpers/supergraph';
import { createToken, createWorld, World } from '../helpers/world';

/**
 * A stock Hive Gateway in front of a supergraph, enforcing @authenticated / @requiresScopes from
 * Tokengate's exchanged JWTs, with no Tokengate code in it: the gateway runtime
 * (@graphql-hive/gateway-runtime), the JWT plugin the @graphql-hive/gateway package ships
 * (@graphql-mesh/plugin-jwt-auth, `useJWT`, what its `jwt` config option installs) verifying
 * against the remote JWKS, and the runtime's own `genericAuth` reading the JWT payload, as in
 * https://the-guild.dev/graphql/hive/docs/gateway/authorization-authentication
 * (granular protection with @authenticated / @requiresScopes). Only the JWKS URL, the issuer and
 * the audience are configuration. The supergraph is the inventory example alone; the gateway
 * sends it the example's gateway credential as a static header (`propagateHeaders`), and no
 * identity: every decision below is the gateway's.
 */
const ISSUER = 'https://tokens.test.example';
const INVENTORY_SECRET = 'inventory-gateway-credential-0123456789-abcdef';
const CATALOG = '{ catalog { id name quantity supplier unitCost reorderLevel } }';

let app: TestApp;
let world: World;
let inventory: InventoryServer;
let gateway: { url: string; stop(): Promise<void> };

async function startStockHiveGateway(supergraph: string, jwksUri: string) {
  const runtime = createGatewayRuntime({
    supergraph,
    transports: { http: httpTransport } as never,
    logging: false,
    propagateHeaders: { fromClientToSubgraphs: () => ({ [GATEWAY_SECRET_HEADER]: INVENTORY_SECRET }) },
    plugins: () => [
      useJWT({
        signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri })],
        tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
        tokenVerification: { issuer: ISSUER, audience: 'supergraph', algorithms: ['ES256'] },
        reject: { missingToken: false, invalidToken: true },
        // The plugin bundles its own copy of the runtime's types (a private-field Logger): structurally
        // the same plugin, not the same declaration.
      }) as unknown as GatewayPlugin,
    ],
    genericAuth: {
      mode: 'protect-granular',
      resolveUserFn: (ctx: { jwt?: { payload?: Record<string, unknown> } }) => ctx.jwt?.payload,
      rejectUnauthenticated: false,
    } as never,
  });
  const server = http.createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await runtime.dispose();
    },
  };
}

beforeAll(async () => {
  app = await startTestApp({ PUBLIC_URL: ISSUER, EXCHANGE_AUDIENCES: 'supergraph,reports-router', EXCHANGE_TOKEN_TTL_S: '60' });
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
  inventory = await startInventory({ jwksUrl: `${app.base}/.well-known/jwks.json`, gatewaySecret: INVENTORY_SECRET });
  const supergraph = composeSupergraph([{ name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL }]);
  gateway = await startStockHiveGateway(supergraph, `${app.base}/.well-known/jwks.json`);
});
afterAll(async () => {
  await gateway?.stop();
  await inventory?.stop();
  await app?.stop();
});
afterEach(() => clock.reset());

async function exchange(secret: string, extra: Record<string, string> = {}) {
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: secret, subject_token_type: TOKEN_TYPES.apiToken, ...extra });
  const res = await fetch(`${app.base}/oauth/token`, { method: 'POST', body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const jwtFor = async (secret: string, extra?: Record<string, string>) => {
  const a = await exchange(secret, extra);
  expect(a.status).toBe(200);
  return `Bearer ${a.body.access_token}`;
};
const paths = (errors: any[] = []) => errors.map((e) => e.path?.join('.')).sort();
const codes = (errors: any[] = []) => [...new Set(errors.map((e) => e.extensions?.code))];

describe('per scope, allowed and refused callers', () => {
  test('anonymous: public fields only', async () => {
    const res = await post(gateway.url, CATALOG);
    // stock generic-auth answers 401 when a field wanted a credential, with the public fields filled in
    expect(res.status).toBe(401);
    expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: null, supplier: null, unitCost: null, reorderLevel: null });
    expect(codes(res.errors)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(paths(res.errors)).toEqual(['catalog.quantity', 'catalog.reorderLevel', 'catalog.supplier', 'catalog.unitCost']);
    // @authenticated
    const viewer = await post(gateway.url, '{ inventoryViewer { userId } }');
    expect(codes(viewer.errors)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  test('READ_ONLY (scope read): quantity only; authenticated', async () => {
    const t = await createToken(app, world.readOnly);
    const jwt = await jwtFor(t.secret);
    const res = await post(gateway.url, CATALOG, {}, jwt);
    expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: 12, supplier: null, unitCost: null, reorderLevel: null });
    expect(paths(res.errors)).toEqual(['catalog.reorderLevel', 'catalog.supplier', 'catalog.unitCost']);
    // @authenticated passes (the subgraph itself sees no identity: this gateway sends none)
    expect((await post(gateway.url, '{ inventoryViewer { userId } }', {}, jwt)).errors).toBeUndefined();
  });

  test('MEMBER (read write): quantity and supplier', async () => {
    const res = await post(gateway.url, CATALOG, {}, await jwtFor((await createToken(app, world.member)).secret));
    expect(res.data.catalog[1]).toEqual({ id: 'item-2', name: 'Gadget', quantity: 3, supplier: 'Gizmo Works', unitCost: null, reorderLevel: null });
    expect(paths(res.errors)).toEqual(['catalog.reorderLevel', 'catalog.unitCost']);
  });

  test('ADMIN (read write admin): everything but the catalog scope inventory:write', async () => {
    const res = await post(gateway.url, CATALOG, {}, await jwtFor((await createToken(app, world.admin, { role: 'ADMIN' })).secret));
    expect(res.data.catalog[0]).toEqual({ id: 'item-1', name: 'Widget', quantity: 12, supplier: 'Acme Supplies', unitCost: 2.5, reorderLevel: null });
    expect(paths(res.errors)).toEqual(['catalog.reorderLevel']);
  });

  test('a token carrying the catalog scope inventory:write: reorderLevel too; narrowed with scope=read: quantity only', async () => {
    await app.ok('mutation { createScope(input: { name: "inventory:write" }) { id } }', {}, world.owner.session);
    const t = await createToken(app, world.member, { scopes: ['inventory:write'] });
    const full = await post(gateway.url, '{ catalog { quantity supplier reorderLevel } }', {}, await jwtFor(t.secret));
    expect(full.errors).toBeUndefined();
    expect(full.data.catalog[0]).toEqual({ quantity: 12, supplier: 'Acme Supplies', reorderLevel: 5 });
    const narrow = await post(gateway.url, '{ catalog { quantity supplier reorderLevel } }', {}, await jwtFor(t.secret, { scope: 'read' }));
    expect(narrow.data.catalog[0]).toEqual({ quantity: 12, supplier: null, reorderLevel: null });
    // mutations: setReorderLevel needs inventory:write, adjustStock write
    const set = 'mutation { setReorderLevel(itemId: "item-2", level: 4) { reorderLevel } }';
    expect(codes((await post(gateway.url, set, {}, await jwtFor(t.secret, { scope: 'read write' }))).errors)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });
});

describe('refused JWTs', () => {
  test('an expired JWT is refused', async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    clock.advance(-120_000); // minted two minutes ago with a 60 s life: expired in the gateway's real time
    const stale = await jwtFor(t.secret);
    clock.reset();
    const res = await post(gateway.url, CATALOG, {}, stale);
    expect(res.status).toBe(401);
    expect(res.errors).toEqual([{ message: 'Unauthenticated' }]);
    expect(res.data?.catalog).toBeUndefined();
  });

  test('a JWT for another audience is refused', async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    const other = await jwtFor(t.secret, { audience: 'reports-router' });
    const res = await post(gateway.url, CATALOG, {}, other);
    expect(res.status).toBe(401);
    expect(res.errors).toEqual([{ message: 'Unauthenticated' }]);
    expect(res.data?.catalog).toBeUndefined();
    // the same token's JWT for this gateway works
    expect((await post(gateway.url, CATALOG, {}, await jwtFor(t.secret))).data.catalog[0].unitCost).toBe(2.5);
  });

  test('a tampered JWT (scope raised) is refused', async () => {
    const t = await createToken(app, world.readOnly);
    const [h, p, s] = (await jwtFor(t.secret)).replace('Bearer ', '').split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.scope = 'read write admin';
    const forged = `Bearer ${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const res = await post(gateway.url, CATALOG, {}, forged);
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });

  test('an opaque API token is no JWT: the stock gateway refuses it (routers need the exchange)', async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    const res = await post(gateway.url, CATALOG, {}, `Bearer ${t.secret}`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors).toEqual([{ message: 'Invalid authentication token provided' }]);
  });
});

describe('revocation', () => {
  test('a revoked API token can exchange no more JWTs; the one it got before lasts at most its TTL', async () => {
    const t = await createToken(app, world.admin, { role: 'ADMIN' });
    const before = await jwtFor(t.secret);
    await app.ok(REVOKE, { id: t.id }, world.admin.session);
    const refused = await exchange(t.secret);
    expect(refused).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: expect.any(String) } });
    // the documented bound: a router verifying JWTs offline honours revocation within EXCHANGE_TOKEN_TTL_S
    const stillValid = await post(gateway.url, CATALOG, {}, before);
    expect(stillValid.data.catalog[0].unitCost).toBe(2.5);
    const exp = JSON.parse(Buffer.from(before.split('.')[1], 'base64url').toString()).exp;
    expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(60_000);
  });
});
