import { Authenticator } from '../../src/verification/authenticator';
import { SessionTokens } from '../../src/auth/session-tokens';
import { TokenCache } from '../../src/auth/token-cache';
import { generateSecret } from '../../src/auth/token-format';
import { clock } from '../../src/common/clock';
import { inProcessVerifier } from '../../src/gateway/auth';
import type { RunningGateway } from '../../src/gateway/gateway';
import { READ_ONLY_TOKEN_MESSAGE } from '../../src/gateway/operation-policy';
import { POLICIES, ThrottleService } from '../../src/modules/throttle/throttle.service';
import { GATEWAY_SECRET_HEADER } from '../../src/subgraph-kit';
import type { GqlResponse } from '../helpers/app';
import { TEST_SIGNING_KEY } from '../helpers/app';
import { registerSecret } from '../helpers/secret-registry';
import { GATEWAY_SECRET, post, startSupergraph, Supergraph } from '../helpers/supergraph';
import { auth, createToken, createWorld, CreatedToken, World } from '../helpers/world';

/*
 * The gateway's answers to the security review of issue #11 (the parts that live at the gateway):
 * READ_ONLY tokens run queries only in every subgraph, introspection follows the tokens service's
 * policy, malformed bodies are never echoed, the client's credential scheme reaches the verifier in
 * introspection mode, and an address locked for guessing keeps its valid tokens.
 */
const codes = (r: { errors?: Array<{ extensions?: { code?: string } }> }) => (r.errors ?? []).map((e) => e.extensions?.code);
const SET_REORDER = 'mutation($level: Int!) { setReorderLevel(itemId: "item-1", level: $level) { id reorderLevel } }';
const REORDER_LEVEL = '{ catalog { id reorderLevel } }';

let sg: Supergraph;
let world: World;
beforeAll(async () => {
  // TRUST_PROXY: each test speaks from its own client address (X-Forwarded-For), so locks stay apart.
  sg = await startSupergraph({ TRUST_PROXY: 'loopback' });
  world = await createWorld(sg.app);
});
afterAll(() => sg?.stop());
afterEach(() => clock.reset());

describe('READ_ONLY API tokens run queries only, in every subgraph', () => {
  let readOnly: CreatedToken;
  let member: CreatedToken;
  let gateways: Array<[string, RunningGateway]>;

  beforeAll(async () => {
    // The catalog lets READ_ONLY tokens carry inventory:write, and the subgraph asks only for that scope:
    // nothing but the gateway's own rule stands between such a token and the mutation.
    await sg.app.ok('mutation { createScope(input: { name: "inventory:write", minRole: READ_ONLY }) { id } }', {}, world.owner.session);
    readOnly = await createToken(sg.app, world.member, { role: 'READ_ONLY', scopes: ['inventory:write'], name: 'ro-inventory-write' });
    member = await createToken(sg.app, world.member, { role: 'MEMBER', scopes: ['inventory:write'], name: 'member-inventory-write' });
    gateways = [
      ['filter, in-process', await sg.startGateway('ro-filter', { mode: 'filter' })],
      ['reject, in-process', await sg.startGateway('ro-reject', { mode: 'reject' })],
      ['filter, introspection', await sg.startGateway('ro-introspection', { mode: 'filter', via: 'introspection' })],
    ];
  });

  const level = async (gw: RunningGateway) => (await sg.gql(gw, REORDER_LEVEL, {}, auth.apiKey(member.secret))).data.catalog[0].reorderLevel;

  test('setReorderLevel with a READ_ONLY token that carries inventory:write: FORBIDDEN 403 as a whole, nothing sent to a subgraph', async () => {
    // The token does carry the scope the subgraph asks for, and may read with it.
    const viewer = await sg.gql(gateways[0][1], '{ inventoryViewer { role scopes } catalog { reorderLevel } }', {}, auth.apiKey(readOnly.secret));
    expect(viewer.errors).toBeUndefined();
    expect(viewer.data.inventoryViewer).toEqual({ role: 'READ_ONLY', scopes: ['read', 'inventory:write'] });
    for (const [name, gw] of gateways) {
      const before = await level(gw);
      const sent = sg.inventoryRequests.length;
      for (const authorization of [auth.apiKey(readOnly.secret), auth.bearer(readOnly.secret), auth.basic(readOnly.username, readOnly.secret)]) {
        const res = await sg.gql(gw, SET_REORDER, { level: before + 7 }, authorization);
        expect([name, res.status, res.errors]).toEqual([name, 403, [{ message: READ_ONLY_TOKEN_MESSAGE, extensions: { code: 'FORBIDDEN' } }]]);
        expect(res.data ?? null).toBeNull();
      }
      expect(sg.inventoryRequests.length).toBe(sent);
      expect(await level(gw)).toBe(before);
    }
  });

  test('mutations of the tokens subgraph too, and whichever operation of a document is chosen', async () => {
    const gw = gateways[0][1];
    const sent = sg.tokensRequests.length;
    const create = await sg.gql(gw, 'mutation { createApiToken(input: { name: "ro-via-gateway" }) { secret } }', {}, auth.apiKey(readOnly.secret));
    expect([create.status, codes(create)]).toEqual([403, ['FORBIDDEN']]);
    expect(sg.tokensRequests.length).toBe(sent);
    const doc = `query Read { catalog { id } } mutation Write { setReorderLevel(itemId: "item-1", level: 1) { id } }`;
    const write = await post(gw.url, doc, {}, auth.apiKey(readOnly.secret), {});
    expect(codes(write)).toEqual(['OPERATION_RESOLUTION_FAILURE']); // no operationName in a two-operation document
    const named = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth.apiKey(readOnly.secret) },
      body: JSON.stringify({ query: doc, operationName: 'Write' }),
    });
    expect(named.status).toBe(403);
    expect((await named.json()).errors[0].extensions.code).toBe('FORBIDDEN');
    const read = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth.apiKey(readOnly.secret) },
      body: JSON.stringify({ query: doc, operationName: 'Read' }),
    });
    expect((await read.json()).data.catalog[0].id).toBe('item-1');
  });

  test('a MEMBER token with inventory:write still sets the reorder level, in every mode', async () => {
    for (const [name, gw] of gateways) {
      const target = (await level(gw)) + 1;
      const res = await sg.gql(gw, SET_REORDER, { level: target }, auth.apiKey(member.secret));
      expect([name, res.errors]).toEqual([name, undefined]);
      expect(res.data.setReorderLevel).toEqual({ id: 'item-1', reorderLevel: target });
    }
  });

  test('a READ_ONLY user signed in with a session keeps what the tokens service allows them (their own tokens)', async () => {
    const res = await sg.gql(gateways[0][1], 'mutation { createApiToken(input: { name: "ro-session-own" }) { token { role owner { id } } } }', {}, world.readOnly.session);
    expect(res.errors).toBeUndefined();
    expect(res.data.createApiToken.token).toEqual({ role: 'READ_ONLY', owner: { id: world.readOnly.id } });
    // … and nothing the inventory's scopes keep from them.
    const stock = await sg.gql(gateways[0][1], 'mutation { adjustStock(itemId: "item-1", delta: 1) { quantity } }', {}, world.readOnly.session);
    expect(codes(stock)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  test('unauthenticated, and another account: the policy adds nothing and hides nothing', async () => {
    const anonymous = await sg.gql(gateways[0][1], SET_REORDER, { level: 3 });
    expect(codes(anonymous)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const bad = await sg.gql(gateways[1][1], SET_REORDER, { level: 3 }, 'APIKey tgk_not-a-token');
    expect([bad.status, codes(bad)]).toEqual([401, ['UNAUTHENTICATED']]);
    // A READ_ONLY token of another account is refused in the same words: the rule is about the caller only.
    const theirs = await createToken(sg.app, world.stranger, { role: 'READ_ONLY', name: 'stranger-ro' });
    const res = await sg.gql(gateways[0][1], 'mutation { revokeApiToken(id: "01900000-0000-7000-8000-000000000000") { id } }', {}, auth.apiKey(theirs.secret));
    expect([res.status, res.errors?.[0].message]).toEqual([403, READ_ONLY_TOKEN_MESSAGE]);
  });
});

describe('introspection at the gateway follows the tokens service policy', () => {
  const SCHEMA = '{ __schema { types { name } } }';
  let production: RunningGateway;
  let readOnly: CreatedToken;
  let admin: CreatedToken;

  beforeAll(async () => {
    production = await sg.startGateway('intro-production', { env: { NODE_ENV: 'production' } });
    readOnly = await createToken(sg.app, world.owner, { role: 'READ_ONLY', name: 'intro-ro' });
    admin = await createToken(sg.app, world.admin, { name: 'intro-admin' });
  });

  test('production: anonymous 401 UNAUTHENTICATED, without data', async () => {
    for (const query of [SCHEMA, '{ __type(name: "Item") { fields { name } } }', '{ catalog { id } s: __schema { queryType { name } } }']) {
      const res = await sg.gql(production, query);
      expect([res.status, res.errors]).toEqual([401, [{ message: 'Introspection is only available to OWNER and ADMIN callers', extensions: { code: 'UNAUTHENTICATED' } }]]);
      expect(res.data ?? null).toBeNull();
      expect(res.raw).not.toContain('Item');
    }
    expect((await sg.gql(production, '{ __typename catalog { id } }')).data.__typename).toBe('Query');
  });

  test('production: MEMBER and READ_ONLY callers 403 FORBIDDEN; OWNER and ADMIN get the supergraph', async () => {
    for (const who of [world.member.session, world.readOnly.session, auth.apiKey(readOnly.secret)]) {
      const res = await sg.gql(production, SCHEMA, {}, who);
      expect([res.status, codes(res), res.data ?? null]).toEqual([403, ['FORBIDDEN'], null]);
    }
    for (const who of [world.owner.session, auth.apiKey(admin.secret)]) {
      const res = await sg.gql(production, SCHEMA, {}, who);
      expect(res.errors).toBeUndefined();
      expect(res.data.__schema.types.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Item', 'ApiToken']));
    }
  });

  test('INTROSPECTION overrides the default either way; reject mode refuses the same', async () => {
    const open = await sg.startGateway('intro-open', { env: { NODE_ENV: 'production', INTROSPECTION: 'true' } });
    expect((await sg.gql(open, SCHEMA)).data.__schema.types.length).toBeGreaterThan(10);
    const closed = await sg.startGateway('intro-closed', { env: { NODE_ENV: 'development', INTROSPECTION: 'false' } });
    expect([(await sg.gql(closed, SCHEMA)).status, codes(await sg.gql(closed, SCHEMA))]).toEqual([401, ['UNAUTHENTICATED']]);
    const reject = await sg.startGateway('intro-reject', { mode: 'reject', env: { NODE_ENV: 'production' } });
    const member = await sg.gql(reject, SCHEMA, {}, world.member.session);
    expect([member.status, codes(member)]).toEqual([403, ['FORBIDDEN']]);
  });
});

describe('malformed request bodies are never echoed', () => {
  const PASSWORD = 'Hunter2-correct-horse-9f8e7d';
  // A login whose JSON has a trailing comma: JSON.parse's message would quote the body, password included.
  const TRAILING_COMMA = `{"query":"mutation { login(email: \\"victim@example.com\\", password: \\"${PASSWORD}\\") { accessToken } }",}`;
  const MALFORMED = { message: 'Malformed request: the body must be JSON', extensions: { code: 'BAD_REQUEST' } };

  beforeAll(() => registerSecret('password sent in malformed bodies', PASSWORD));

  const send = async (url: string, body: string): Promise<{ status: number; raw: string; json: any }> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const raw = await res.text();
    return { status: res.status, raw, json: JSON.parse(raw) };
  };

  test('a trailing comma: 400 BAD_REQUEST with a fixed message, nothing of the body, in production and development', async () => {
    const gws = [await sg.startGateway('malformed-production', { env: { NODE_ENV: 'production' } }), await sg.startGateway('malformed-development', { env: { NODE_ENV: 'development' } })];
    for (const url of [...gws.map((g) => g.url), sg.app.url]) {
      const res = await send(url, TRAILING_COMMA);
      expect([url, res.status, res.json.errors]).toEqual([url, 400, [MALFORMED]]);
      expect(res.raw).not.toContain(PASSWORD);
      expect(res.raw).not.toContain('victim');
    }
  });

  test('JSON that is not an object, and unexpected parameters, are refused without repeating them', async () => {
    const gw = await sg.startGateway('malformed-shapes', { env: { NODE_ENV: 'production' } });
    for (const body of [JSON.stringify(PASSWORD), 'null', '42', '{"query":"{ catalog { id } }"']) {
      const res = await send(gw.url, body);
      expect([body, res.status, res.json.errors]).toEqual([body, 400, [MALFORMED]]);
      expect(res.raw).not.toContain(PASSWORD);
    }
    const extra = await send(gw.url, JSON.stringify({ query: '{ catalog { id } }', [PASSWORD]: true }));
    expect(extra.status).toBe(400);
    expect(extra.json.errors).toEqual([
      { message: 'Malformed request: unexpected parameter in the request body (expected query, variables, operationName, extensions)', extensions: { code: 'BAD_REQUEST' } },
    ]);
    expect(extra.raw).not.toContain(PASSWORD);
    // A well-formed request still works.
    expect((await send(gw.url, '{"query":"{ catalog { id } }"}')).json.data.catalog[0].id).toBe('item-1');
  });
});

describe('the scheme the client used reaches the verifier in introspection mode', () => {
  let inProcess: RunningGateway;
  let remote: RunningGateway;
  let token: CreatedToken;
  let jwt: string;

  beforeAll(async () => {
    inProcess = await sg.startGateway('scheme-in-process');
    remote = await sg.startGateway('scheme-introspection', { via: 'introspection' });
    token = await createToken(sg.app, world.member, { name: 'scheme-token' });
    jwt = world.member.session.slice('Bearer '.length);
  });

  const me = async (url: string, authorization: string) => post(url, '{ me { id } }', {}, authorization);

  test('APIKey <session JWT> (and Basic with a JWT) is refused directly and through both gateways', async () => {
    for (const authorization of [`APIKey ${jwt}`, auth.basic(token.username, jwt)]) {
      for (const url of [sg.app.url, inProcess.url, remote.url]) {
        const res = await me(url, authorization);
        expect([url, res.status, codes(res)]).toEqual([url, 401, ['UNAUTHENTICATED']]);
      }
    }
  });

  test('every legitimate form still works through both gateways', async () => {
    for (const url of [sg.app.url, inProcess.url, remote.url]) {
      for (const authorization of [world.member.session, auth.apiKey(token.secret), auth.bearer(token.secret), auth.basic(token.username, token.secret)]) {
        const res = await me(url, authorization);
        expect([url, res.errors, res.data?.me]).toEqual([url, undefined, { id: world.member.id }]);
      }
    }
  });

  test('/internal/introspect: scheme parsed as the header would be; older gateways (no scheme) keep working; bad requests 400', async () => {
    const introspect = async (body: Record<string, string>) => {
      const res = await fetch(`${sg.app.base}/internal/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET },
        body: new URLSearchParams(body),
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await introspect({ token: jwt, scheme: 'APIKey' })).toEqual({ status: 200, body: { active: false } });
    expect(await introspect({ token: jwt, scheme: 'Basic', username: token.username })).toEqual({ status: 200, body: { active: false } });
    expect((await introspect({ token: jwt, scheme: 'Bearer' })).body).toMatchObject({ active: true, sub: world.member.id, token_type: 'session' });
    expect((await introspect({ token: jwt, scheme: 'bearer' })).body.active).toBe(true);
    expect((await introspect({ token: token.secret, scheme: 'APIKey' })).body).toMatchObject({ active: true, token_id: token.id });
    expect((await introspect({ token: token.secret, scheme: 'Basic', username: token.username })).body.active).toBe(true);
    expect((await introspect({ token: token.secret, scheme: 'Basic', username: 'tgu_someone-else' })).body).toEqual({ active: false });
    // Without a scheme, as gateways sent it before: Bearer, or Basic with a username.
    expect((await introspect({ token: jwt })).body.active).toBe(true);
    expect((await introspect({ token: token.secret, username: token.username })).body.active).toBe(true);
    for (const [body, description] of [
      [{ token: jwt, scheme: 'Digest' }, 'scheme must be APIKey, Bearer or Basic'],
      [{ token: token.secret, scheme: 'Basic' }, 'username is required with scheme Basic'],
      [{ token: token.secret, scheme: 'APIKey', username: token.username }, 'username goes with scheme Basic only'],
      [{ scheme: 'APIKey' }, 'token is required'],
    ] as const) {
      expect(await introspect(body)).toEqual({ status: 400, body: { error: 'invalid_request', error_description: description } });
    }
  });
});

describe('an address locked for guessing keeps its valid tokens, through the gateway', () => {
  const guess = () => auth.apiKey(generateSecret().secret);

  /**
   * 50 free well-formed unknown secrets, then one after each lock ends: the lock doubles (1 s … 64 s).
   * `lockedAnswer`: what a locked guess gets (the introspection endpoint says only "not active").
   */
  async function lockOut(send: (authorization: string) => Promise<GqlResponse>, lockedAnswer: [number, string]) {
    for (let i = 0; i < POLICIES.tokenPerIp.freeFailures; i++) expect(codes(await send(guess()))).toEqual(['UNAUTHENTICATED']);
    for (let lockMs = POLICIES.tokenPerIp.baseLockMs; ; lockMs *= 2) {
      const locked = await send(guess());
      expect([locked.status, codes(locked)[0]]).toEqual(lockedAnswer);
      if (lockMs >= 64_000) return;
      clock.advance(lockMs + 50);
    }
  }

  const trusting = { env: { TRUST_PROXY: 'loopback' } };
  /** [name, start the gateway, what a locked guess gets, does the gateway's verifier learn of tokens the tokens service issues at once] */
  const cases: Array<[string, () => Promise<{ gw: RunningGateway; authenticator: Authenticator }>, [number, string], boolean]> = [
    [
      'in-process (the tokens service Authenticator)',
      async () => ({ gw: await sg.startGateway('lock-shared', trusting), authenticator: sg.app.server.authenticator }),
      [429, 'RATE_LIMITED'],
      true,
    ],
    [
      'in-process with an Authenticator of its own, as npm run gateway builds it',
      async () => {
        // As src/gateway/main.ts: an Authenticator of its own core, with the token cache disabled: it learns of tokens from the database.
        const ds = sg.app.db.dataSource;
        const own = new Authenticator(ds, new SessionTokens(TEST_SIGNING_KEY), new TokenCache(0, 0, clock.nowMs), sg.app.server.usage, new ThrottleService(ds));
        return { gw: await sg.startGateway('lock-own', { ...trusting, verifier: inProcessVerifier(own) }), authenticator: own };
      },
      [429, 'RATE_LIMITED'],
      false,
    ],
    [
      'introspection',
      async () => ({ gw: await sg.startGateway('lock-introspection', { ...trusting, via: 'introspection' }), authenticator: sg.app.server.authenticator }),
      [401, 'UNAUTHENTICATED'],
      true,
    ],
  ];

  test.each(cases.map(([name, make, answer, learnsAtOnce], i) => [name, make, answer, learnsAtOnce, `198.51.100.${20 + i}`] as const))(
    '%s: unknown secrets lock the address; the victim tokens keep working; the guesses still reach no look-up',
    async (_name, make, lockedAnswer, learnsAtOnce, ip) => {
      const { gw, authenticator } = await make();
      const from = (authorization: string) => post(gw.url, '{ me { id } }', {}, authorization, { 'x-forwarded-for': ip });
      const used = await createToken(sg.app, world.member, { name: `lock-used-${ip}` });
      const unused = await createToken(sg.app, world.admin, { name: `lock-unused-${ip}` });
      expect((await from(auth.apiKey(used.secret))).data.me.id).toBe(world.member.id);

      await lockOut(from, lockedAnswer);
      const stillLocked = await from(guess());
      expect([stillLocked.status, codes(stillLocked)[0]]).toEqual(lockedAnswer);
      const after = await createToken(sg.app, world.member, { name: `lock-after-${ip}` });

      // The victims: a token used before the lock (its cache entry long expired), one never used, in every scheme.
      for (const [token, owner] of [
        [used, world.member],
        [unused, world.admin],
      ] as const) {
        for (const authorization of [auth.apiKey(token.secret), auth.bearer(token.secret), auth.basic(token.username, token.secret)]) {
          const res = await from(authorization);
          expect([res.errors, res.data?.me]).toEqual([undefined, { id: owner.id }]);
        }
      }
      // A token issued after the lock: at once where the verifier saw it issued; otherwise once its memory is re-read.
      if (!learnsAtOnce) {
        expect(codes(await from(auth.apiKey(after.secret)))).toEqual(['RATE_LIMITED']);
        clock.advance(authenticator.knownSecrets.refreshMs);
      }
      expect((await from(auth.apiKey(after.secret))).data.me.id).toBe(world.member.id);

      // Guesses from the locked address: refused, and no statement at all (the memory was read when first needed).
      const queries = sg.app.server.queryLogger;
      const before = queries.count;
      for (let i = 0; i < 10; i++) {
        const res = await from(guess());
        expect([res.status, codes(res)[0]]).toEqual(lockedAnswer);
      }
      expect(queries.count).toBe(before);
      // Another address is not locked: its guesses are counted failures, not refusals.
      const elsewhere = await post(gw.url, '{ me { id } }', {}, guess(), { 'x-forwarded-for': '198.51.100.99' });
      expect([elsewhere.status, codes(elsewhere)]).toEqual([401, ['UNAUTHENTICATED']]);
    },
  );
});
