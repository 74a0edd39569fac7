import type { RunningGateway } from '../../src/gateway/gateway';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { throttleKey } from '../../src/modules/throttle/throttle.service';
import type { GqlResponse } from '../helpers/app';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { registerSecret } from '../helpers/secret-registry';
import { TOKEN_TYPES } from '../../src/auth/exchange-tokens';
import { auth, createToken, createWorld, World } from '../helpers/world';

/*
 * Issue #16, items 4 and 5: a token's IP allowlist (allowedCidrs, suggestedCidrs) and its own rate
 * limit at the gateway (rateLimitPerMinute), directly and through the gateway. Every server here trusts
 * the loopback proxy (TRUST_PROXY=loopback), so X-Forwarded-For names the client address.
 */

const INVALID_TOKEN = 'Invalid, expired or revoked API token';
const ME = '{ me { id } }';
const FIELDS = 'id allowedCidrs rateLimitPerMinute';
const CREATE = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { ${FIELDS} } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) { updateApiToken(id: $id, input: $input) { ${FIELDS} } }`;
const GET = `query($id: ID!) { apiToken(id: $id) { ${FIELDS} suggestedCidrs } }`;

let sg: Supergraph;
let world: World;
let seq = 0;

beforeAll(async () => {
  sg = await startSupergraph({ TRUST_PROXY: 'loopback', GATEWAY_RATE_LIMIT_PER_TOKEN: '600' });
  world = await createWorld(sg.app);
});
afterAll(() => sg?.stop());

const app = () => sg.app;
const from = (ip: string) => ({ 'x-forwarded-for': ip });
/** A direct request to the tokens service from `ip`. */
const direct = (authorization: string, ip: string, query = ME) =>
  fetch(app().url, { method: 'POST', headers: { 'content-type': 'application/json', authorization, ...from(ip) }, body: JSON.stringify({ query }) }).then(async (res) => ({
    status: res.status,
    ...((await res.json()) as { data?: any; errors?: GqlResponse['errors'] }),
  }));
const codeOf = (r: { errors?: GqlResponse['errors'] }) => r.errors?.[0]?.extensions?.code;
const messageOf = (r: { errors?: GqlResponse['errors'] }) => r.errors?.[0]?.message;
const refusals = (tokenId: string) => app().db.dataSource.getRepository(AuditEvent).findBy({ action: 'auth.failed', reason: 'ip_not_allowed', targetId: tokenId });
const failuresFrom = async (ip: string) =>
  (
    await app()
      .db.dataSource.getRepository(Throttle)
      .findOneBy({ key: throttleKey('token:ip', ip) })
  )?.failures ?? 0;

async function create(by: string, input: Record<string, unknown>) {
  const data = await app().ok(CREATE, { input: { name: `access-${++seq}`, ...input } }, by);
  return { id: data.createApiToken.token.id as string, secret: data.createApiToken.secret as string, token: data.createApiToken.token };
}

describe('IP allowlist: createApiToken and updateApiToken', () => {
  test('ranges are stored in canonical form: host bits cleared, IPv6 compressed, a bare address as /32 or /128, duplicates once', async () => {
    const { token } = await create(world.member.session, {
      allowedCidrs: ['203.0.113.77/24', ' 2001:DB8:0:0::/32 ', '198.51.100.4', '::ffff:192.0.2.0/120', '203.0.113.0/24', '2001:db8::1'],
    });
    expect(token.allowedCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32', '198.51.100.4/32', '192.0.2.0/24', '2001:db8::1/128']);
    expect((await app().ok(GET, { id: token.id }, world.member.session)).apiToken.allowedCidrs).toEqual(token.allowedCidrs);
    const plain = await create(world.member.session, {});
    expect(plain.token.allowedCidrs).toEqual([]);
  });

  test('bad ranges are BAD_USER_INPUT naming the entry, without echoing it, and nothing is created', async () => {
    const before = await app().db.dataSource.getRepository(ApiToken).count();
    for (const bad of ['203.0.113.0/33', 'not-an-address', '10.1/8', 'fe80::1%eth0/64', '2001:db8::/129', '1.2.3.4/', '1.2.3.4/-1', '']) {
      const r = await app().fail(CREATE, { input: { name: `bad-${++seq}`, allowedCidrs: ['192.0.2.0/24', bad] } }, world.member.session);
      expect(r.code).toBe('BAD_USER_INPUT');
      expect(r.message).toContain('allowedCidrs[1]');
      if (bad) expect(r.message).not.toContain(bad);
    }
    const tooMany = Array.from({ length: 21 }, (_, i) => `10.0.${i}.0/24`);
    const r = await app().fail(CREATE, { input: { name: `bad-${++seq}`, allowedCidrs: tooMany } }, world.member.session);
    expect(r).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(r.message).toMatch(/allowedCidrs.*at most 20/);
    expect(await app().db.dataSource.getRepository(ApiToken).count()).toBe(before);
    // Twenty are fine.
    await create(world.member.session, { allowedCidrs: tooMany.slice(0, 20) });
  });

  test('outside the allowlist a token is refused UNAUTHENTICATED with the one message, audited as ip_not_allowed and counted against the address', async () => {
    const t = await create(world.member.session, { allowedCidrs: ['203.0.113.0/24', '2001:db8:1::/48'] });
    expect((await direct(auth.apiKey(t.secret), '203.0.113.50')).data.me.id).toBe(world.member.id);
    expect((await direct(auth.bearer(t.secret), '2001:db8:1::5')).data.me.id).toBe(world.member.id);

    const outside = '198.51.100.23';
    const failuresBefore = await failuresFrom(outside);
    const refused = await direct(auth.apiKey(t.secret), outside);
    expect(refused.status).toBe(401);
    expect(codeOf(refused)).toBe('UNAUTHENTICATED');
    expect(refused.data?.me ?? null).toBeNull();
    // The same message as a revoked or unknown token: no oracle for why.
    const unknown = await direct(auth.apiKey('tgk_' + 'A'.repeat(36) + 'AAAAAA'), outside);
    const other = await createToken(app(), world.member);
    await app().ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: other.id }, world.member.session);
    const revoked = await direct(auth.apiKey(other.secret), outside);
    expect(messageOf(refused)).toBe(INVALID_TOKEN);
    expect(messageOf(revoked)).toBe(INVALID_TOKEN);
    expect(codeOf(unknown)).toBe('UNAUTHENTICATED');
    // Basic credentials too, and an IPv6 address outside the /48.
    expect(
      codeOf(
        await direct(auth.basic((await app().ok('query($id: ID!) { apiToken(id: $id) { username } }', { id: t.id }, world.member.session)).apiToken.username, t.secret), '2001:db8:2::1'),
      ),
    ).toBe('UNAUTHENTICATED');

    const events = await refusals(t.id);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.ip).sort()).toEqual(['198.51.100.23', '2001:db8:2::1']);
    expect(events[0]).toMatchObject({ accountId: world.member.accountId, actorId: world.member.id, targetType: 'api_token' });
    // Counted for the brute-force throttle like any other bad credential (the revoked one counted too).
    expect(await failuresFrom(outside)).toBe(failuresBefore + 2);
    // Still fine from inside, and the refusals were not counted as uses.
    expect((await direct(auth.apiKey(t.secret), '203.0.113.51')).data.me.id).toBe(world.member.id);
  });

  test('updateApiToken: the allowlist takes effect on the next request, [] lifts it, and the change is audited', async () => {
    const t = await create(world.member.session, {});
    expect((await direct(auth.apiKey(t.secret), '198.51.100.7')).data.me.id).toBe(world.member.id); // cached now
    const updated = await app().ok(UPDATE, { id: t.id, input: { allowedCidrs: ['192.0.2.0/28'] } }, world.owner.session);
    expect(updated.updateApiToken).toEqual({ id: t.id, allowedCidrs: ['192.0.2.0/28'], rateLimitPerMinute: null });
    expect(codeOf(await direct(auth.apiKey(t.secret), '198.51.100.7'))).toBe('UNAUTHENTICATED');
    expect((await direct(auth.apiKey(t.secret), '192.0.2.9')).data.me.id).toBe(world.member.id);
    // The owner of the token may change it too; omitted fields stay.
    await app().ok(UPDATE, { id: t.id, input: { rateLimitPerMinute: 50 } }, world.member.session);
    expect((await app().ok(GET, { id: t.id }, world.member.session)).apiToken).toMatchObject({ allowedCidrs: ['192.0.2.0/28'], rateLimitPerMinute: 50 });
    await app().ok(UPDATE, { id: t.id, input: { allowedCidrs: [] } }, world.member.session);
    expect((await direct(auth.apiKey(t.secret), '198.51.100.7')).data.me.id).toBe(world.member.id);

    const audit = await app()
      .db.dataSource.getRepository(AuditEvent)
      .find({ where: { action: 'token.updated', targetId: t.id }, order: { id: 'ASC' } });
    expect(audit.map((e) => e.actorId)).toEqual([world.owner.id, world.member.id, world.member.id]);
    expect(JSON.parse(audit[0].details!).changes).toEqual({ allowedCidrs: { from: [], to: ['192.0.2.0/28'] } });
  });

  test('updateApiToken refuses: bad input, anonymous, a READ_ONLY token, another account, a token the caller cannot see', async () => {
    const t = await create(world.member.session, { allowedCidrs: ['192.0.2.0/24'] });
    const bad = await app().fail(UPDATE, { id: t.id, input: { allowedCidrs: ['192.0.2.0/24', 'x'] } }, world.member.session);
    expect(bad).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(bad.message).toContain('input.allowedCidrs[1]');
    expect((await app().fail(UPDATE, { id: t.id, input: { allowedCidrs: [] } })).code).toBe('UNAUTHENTICATED');
    const readOnlyToken = await createToken(app(), world.member, { role: 'READ_ONLY' });
    expect((await app().fail(UPDATE, { id: t.id, input: { allowedCidrs: [] } }, auth.apiKey(readOnlyToken.secret))).code).toBe('FORBIDDEN');
    expect((await app().fail(UPDATE, { id: t.id, input: { allowedCidrs: [] } }, world.stranger.session)).code).toBe('NOT_FOUND');
    expect((await app().fail(UPDATE, { id: t.id, input: { allowedCidrs: [] } }, world.readOnly.session)).code).toBe('NOT_FOUND');
    const adminToken = await createToken(app(), world.admin);
    expect((await app().fail(UPDATE, { id: adminToken.id, input: { allowedCidrs: [] } }, world.member.session)).code).toBe('NOT_FOUND');
    expect((await app().fail(UPDATE, { id: '00000000-0000-7000-8000-000000000000', input: { allowedCidrs: [] } }, world.owner.session)).code).toBe('NOT_FOUND');
    // Nothing changed.
    expect((await app().ok(GET, { id: t.id }, world.member.session)).apiToken.allowedCidrs).toEqual(['192.0.2.0/24']);
  });

  test('suggestedCidrs: the /24 and /64 ranges of the recorded usage, most used first; another account sees no token', async () => {
    const t = await create(world.member.session, {});
    for (const ip of ['203.0.113.10', '203.0.113.200', '203.0.113.5', '2001:db8:7:8:1::1', '198.51.100.1']) await direct(auth.apiKey(t.secret), ip);
    await app().server.usage.flush();
    const got = (await app().ok(GET, { id: t.id }, world.owner.session)).apiToken.suggestedCidrs;
    expect(got).toEqual(['203.0.113.0/24', '198.51.100.0/24', '2001:db8:7:8::/64']);
    // They are valid allowlist entries as they are.
    await app().ok(UPDATE, { id: t.id, input: { allowedCidrs: got } }, world.member.session);
    expect((await direct(auth.apiKey(t.secret), '2001:db8:7:8:ffff::2')).data.me.id).toBe(world.member.id);
    expect((await app().ok(GET, { id: t.id }, world.stranger.session)).apiToken).toBeNull();
    expect((await app().fail(GET, { id: t.id })).code).toBe('UNAUTHENTICATED');
  });
});

describe('IP allowlist at the other doors', () => {
  test('POST /oauth/token exchanges the token only from inside its allowlist, and audits the refusal', async () => {
    const t = await create(world.member.session, { allowedCidrs: ['203.0.113.0/24'] });
    const exchange = (ip: string) =>
      fetch(`${app().base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...from(ip) },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: t.secret, subject_token_type: TOKEN_TYPES.apiToken }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
    const inside = await exchange('203.0.113.8');
    expect(inside.status).toBe(200);
    expect(typeof inside.body.access_token).toBe('string');
    registerSecret('exchanged JWT', inside.body.access_token as string);
    const outside = await exchange('198.51.100.200');
    expect(outside.status).not.toBe(200);
    expect(outside.body.access_token).toBeUndefined();
    expect((await refusals(t.id)).map((e) => e.ip)).toEqual(['198.51.100.200']);
  });
});

describe('IP allowlist at the gateway', () => {
  for (const via of ['inProcess', 'inProcessSeparate', 'introspection'] as const) {
    test(`${via}: refused outside the allowlist even with the verdict cached, audited and counted`, async () => {
      const gw = await sg.startGateway(`allowlist-${via}`, { via, ttlMs: 60_000, env: { TRUST_PROXY: 'loopback' } });
      const t = await create(world.member.session, { allowedCidrs: ['203.0.113.0/24'] });
      const ok = await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from('203.0.113.9'));
      expect(ok.data?.me?.id).toBe(world.member.id);
      const outside = `198.51.100.${100 + seq}`;
      const refused = await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from(outside));
      expect(refused.status).toBe(401);
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      expect(refused.data?.me ?? null).toBeNull();
      expect((await refusals(t.id)).map((e) => e.ip)).toEqual([outside]);
      expect(await failuresFrom(outside)).toBe(1);
      // Inside again: the cached verdict still serves.
      expect((await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from('203.0.113.10'))).data?.me?.id).toBe(world.member.id);
      // A narrowed allowlist counts at once on every path. A gateway sharing the tokens service's process forgets
      // its verdict; the others still hold theirs for a minute, and the tokens service, judging the client the
      // gateway forwards (x-tokengate-client-address) against the allowlist as it is now, refuses.
      await app().ok(UPDATE, { id: t.id, input: { allowedCidrs: ['198.51.100.0/24'] } }, world.member.session);
      const stale = await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from('203.0.113.10'));
      expect([codeOf(stale), messageOf(stale), stale.data?.me ?? null]).toEqual(['UNAUTHENTICATED', INVALID_TOKEN, null]);
      const audited = await app().db.dataSource.getRepository(AuditEvent).findBy({ action: 'auth.failed', targetId: t.id });
      expect(audited.filter((e) => e.ip === '203.0.113.10').map((e) => e.reason)).toEqual([via === 'inProcess' ? 'ip_not_allowed' : 'gateway:ip_not_allowed']);
      await gw.stop();
      sg.gateways.delete(`allowlist-${via}`);
    });
  }

  test('updateApiToken through the gateway: success, anonymous, another account', async () => {
    const gw = await sg.startGateway('allowlist-mutation', { via: 'inProcess', env: { TRUST_PROXY: 'loopback' } });
    const t = await create(world.member.session, {});
    const r = await sg.gql(gw, UPDATE, { id: t.id, input: { allowedCidrs: ['192.0.2.1'] } }, world.owner.session);
    expect(r.data?.updateApiToken.allowedCidrs).toEqual(['192.0.2.1/32']);
    expect(codeOf(await sg.gql(gw, UPDATE, { id: t.id, input: { allowedCidrs: [] } }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await sg.gql(gw, UPDATE, { id: t.id, input: { allowedCidrs: [] } }, world.stranger.session))).toBe('NOT_FOUND');
    expect(codeOf(await sg.gql(gw, UPDATE, { id: t.id, input: { allowedCidrs: ['nope'] } }, world.owner.session))).toBe('BAD_USER_INPUT');
    const readOnlyToken = await createToken(app(), world.owner, { role: 'READ_ONLY' });
    expect(codeOf(await sg.gql(gw, UPDATE, { id: t.id, input: { allowedCidrs: [] } }, auth.apiKey(readOnlyToken.secret), from('192.0.2.1')))).toBe('FORBIDDEN');
    expect((await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from('192.0.2.1'))).data?.me?.id).toBe(world.member.id);
    expect(codeOf(await sg.gql(gw, ME, undefined, auth.apiKey(t.secret), from('192.0.2.2')))).toBe('UNAUTHENTICATED');
  });
});

describe('per-token rate limit', () => {
  test('members may only set a limit no higher than the default, OWNER/ADMIN any; bad values are BAD_USER_INPUT', async () => {
    const mine = await create(world.member.session, { rateLimitPerMinute: 100 });
    expect(mine.token.rateLimitPerMinute).toBe(100);
    expect((await app().fail(CREATE, { input: { name: `rl-${++seq}`, rateLimitPerMinute: 601 } }, world.member.session)).code).toBe('FORBIDDEN');
    await create(world.member.session, { rateLimitPerMinute: 600 });
    for (const bad of [0, -1, 1_000_001]) {
      const r = await app().fail(CREATE, { input: { name: `rl-${++seq}`, rateLimitPerMinute: bad } }, world.owner.session);
      expect(r.code).toBe('BAD_USER_INPUT');
      expect(r.message).toContain('rateLimitPerMinute');
    }
    expect((await app().fail(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 0 } }, world.owner.session)).code).toBe('BAD_USER_INPUT');

    // A member lowers their own, cannot raise it or go back to the (higher) default.
    expect((await app().ok(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 40 } }, world.member.session)).updateApiToken.rateLimitPerMinute).toBe(40);
    expect((await app().fail(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 41 } }, world.member.session)).code).toBe('FORBIDDEN');
    expect((await app().fail(UPDATE, { id: mine.id, input: { rateLimitPerMinute: null } }, world.member.session)).code).toBe('FORBIDDEN');
    // An admin raises it above the default, and clears it.
    expect((await app().ok(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 5000 } }, world.admin.session)).updateApiToken.rateLimitPerMinute).toBe(5000);
    expect((await app().fail(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 5001 } }, world.member.session)).code).toBe('FORBIDDEN');
    expect((await app().ok(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 4000 } }, world.member.session)).updateApiToken.rateLimitPerMinute).toBe(4000);
    expect((await app().ok(UPDATE, { id: mine.id, input: { rateLimitPerMinute: null } }, world.owner.session)).updateApiToken.rateLimitPerMinute).toBeNull();
    // The same value is no change (and needs no right).
    expect((await app().ok(UPDATE, { id: mine.id, input: { rateLimitPerMinute: null } }, world.member.session)).updateApiToken.rateLimitPerMinute).toBeNull();
    // A refused change leaves the whole update undone.
    await app().fail(UPDATE, { id: mine.id, input: { allowedCidrs: ['192.0.2.0/24'], rateLimitPerMinute: 601 } }, world.member.session);
    expect((await app().ok(GET, { id: mine.id }, world.member.session)).apiToken).toMatchObject({ allowedCidrs: [], rateLimitPerMinute: null });
    // Another account's token looks absent.
    expect((await app().fail(UPDATE, { id: mine.id, input: { rateLimitPerMinute: 1 } }, world.stranger.session)).code).toBe('NOT_FOUND');
  });

  async function burst(gw: RunningGateway, secret: string, n: number): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = [];
    for (let i = 0; i < n; i++) out.push(codeOf(await sg.gql(gw, ME, undefined, auth.apiKey(secret))) ?? 'OK');
    return out;
  }

  for (const via of ['inProcess', 'introspection'] as const) {
    test(`${via}: the gateway honours a token's own limit instead of GATEWAY_RATE_LIMIT_PER_TOKEN`, async () => {
      const gw = await sg.startGateway(`rate-${via}`, { via, perToken: 5 });
      const slow = await create(world.member.session, { rateLimitPerMinute: 2 });
      const fast = await create(world.owner.session, { rateLimitPerMinute: 8 });
      const plain = await create(world.owner.session, {});
      expect(await burst(gw, slow.secret, 3)).toEqual(['OK', 'OK', 'RATE_LIMITED']);
      expect(await burst(gw, fast.secret, 9)).toEqual([...Array(8).fill('OK'), 'RATE_LIMITED']);
      expect(await burst(gw, plain.secret, 6)).toEqual([...Array(5).fill('OK'), 'RATE_LIMITED']);
      const limited = await sg.gql(gw, ME, undefined, auth.apiKey(slow.secret));
      expect(limited.status).toBe(429);
      await gw.stop();
      sg.gateways.delete(`rate-${via}`);
    });
  }

  test('with the default off (0), a token with its own limit is still limited', async () => {
    const gw = await sg.startGateway('rate-default-off', { via: 'inProcess', perToken: 0 });
    const t = await create(world.member.session, { rateLimitPerMinute: 3 });
    const plain = await create(world.member.session, {});
    expect(await burst(gw, t.secret, 4)).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    expect(await burst(gw, plain.secret, 10)).toEqual(Array(10).fill('OK'));
  });
});
