import type { RunningGateway } from '../../src/gateway/gateway';
import { clock } from '../../src/common/clock';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { InactivityCleaner } from '../../src/modules/api-token/inactivity';
import { TokenInactivityNotice } from '../../src/modules/api-token/inactivity-notice.entity';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { Notification } from '../../src/modules/notification/notification.entity';
import { WebhookDelivery } from '../../src/modules/webhook/webhook.entity';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { startSmtpServer } from '../helpers/smtp';
import { DAY, DELETE, generateSecret, LIST, ME, REGENERATE, relogin, REVOKE, REVOKE_LEAKED, setPolicy, TOKEN_FIELDS } from '../helpers/api-tokens';
import { Actor, addUser, auth, createToken, createWorld, CreatedToken, World } from '../helpers/world';

/**
 * #16 items 1, 2, 3 and 7: updateApiToken, disableApiToken/enableApiToken (DISABLED refused on every
 * path), revokeApiTokens, the owner told of what someone else did, the lastUsed filters and the
 * inactivity clean-up; directly and through the gateway.
 */
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) { updateApiToken(id: $id, input: $input) { ${TOKEN_FIELDS} } }`;
const DISABLE = `mutation($id: ID!) { disableApiToken(id: $id) { id status disabledAt disabledBy { id } } }`;
const ENABLE = `mutation($id: ID!) { enableApiToken(id: $id) { id status disabledAt disabledBy { id } } }`;
const BULK = `mutation($filter: ApiTokenFilter!, $reason: String) { revokeApiTokens(filter: $filter, reason: $reason) { count capped } }`;
const NOTIFICATIONS = `{ notifications(first: 100) { nodes { id kind actor actedAt reason thresholdDays tokenExpiresAt token { id } } } }`;
const POLICY = `mutation($input: AccountPolicyInput!) { updateAccountPolicy(input: $input) { revokeUnusedAfterDays } }`;
const CREATE_WEBHOOK = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`;

let sg: Supergraph;
let world: World;
let gw: RunningGateway;
let gwIntrospect: RunningGateway;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  sg = await startSupergraph({ SMTP_URL: smtp.url, SMTP_FROM: 'Tokengate <tokens@tokengate.test>' });
  world = await createWorld(sg.app);
  await setPolicy(sg.app, world.owner, { maxActiveTokens: 5000 });
  // In-process with a long verdict cache: a change must reach it through the cache's invalidation, not by expiry.
  gw = await sg.startGateway('governance', { ttlMs: 60_000 });
  gwIntrospect = await sg.startGateway('governance-introspection', { via: 'introspection' });
});
// Each test refuses a few tokens on purpose: keep the per-address guess throttle (50 in 5 minutes) out of it.
afterEach(async () => {
  await sg.app.server.dataSource.transaction((em) => em.createQueryBuilder().delete().from(Throttle).execute());
});
afterAll(async () => {
  clock.reset();
  await sg?.stop();
  await smtp?.stop();
});

const app = () => sg.app;
const ok = (q: string, v: Record<string, unknown>, a?: string) => app().ok(q, v, a);
const fail = (q: string, v: Record<string, unknown>, a?: string) => app().fail(q, v, a);
const viaGateway = (g: RunningGateway, q: string, v: Record<string, unknown>, a?: string) => sg.gql(g, q, v, a);
const code = (res: { errors?: Array<{ extensions?: { code?: string } }> }) => res.errors?.[0]?.extensions?.code;

/** Every way a token authenticates: directly (three header forms) and through both gateways. */
async function refusedEverywhere(t: CreatedToken) {
  for (const h of [auth.apiKey(t.secret), auth.bearer(t.secret), auth.basic(t.username, t.secret)]) {
    expect((await app().fail(ME, {}, h)).code).toBe('UNAUTHENTICATED');
  }
  for (const g of [gw, gwIntrospect]) {
    const res = await viaGateway(g, '{ inventoryViewer { userId } }', {}, auth.apiKey(t.secret));
    expect(res.status).toBe(401);
    expect(code(res)).toBe('UNAUTHENTICATED');
  }
}
async function worksEverywhere(t: CreatedToken, userId: string) {
  for (const h of [auth.apiKey(t.secret), auth.basic(t.username, t.secret)]) {
    expect((await ok(ME, {}, h)).me.id).toBe(userId);
  }
  for (const g of [gw, gwIntrospect]) {
    const res = await viaGateway(g, '{ inventoryViewer { userId } }', {}, auth.apiKey(t.secret));
    expect(res.errors).toBeUndefined();
    expect(res.data.inventoryViewer.userId).toBe(userId);
  }
}
const audits = (targetId: string, action: string) => app().server.dataSource.getRepository(AuditEvent).findBy({ targetId, action });
const notices = (userId: string, tokenId: string) => app().server.dataSource.getRepository(Notification).findBy({ userId, tokenId });

describe('updateApiToken', () => {
  test('renames and re-describes; null clears the description; audited as token.updated with what changed', async () => {
    const t = await createToken(app(), world.member, { name: 'before', description: 'old words' });
    const r = (await ok(UPDATE, { id: t.id, input: { name: 'after' } }, world.member.session)).updateApiToken;
    expect(r).toMatchObject({ id: t.id, name: 'after', description: 'old words', status: 'ACTIVE' });
    const d = (await ok(UPDATE, { id: t.id, input: { description: null } }, world.admin.session)).updateApiToken;
    expect(d).toMatchObject({ name: 'after', description: null });
    const rows = await audits(t.id, 'token.updated');
    expect(rows).toHaveLength(2);
    expect(rows.map((a) => JSON.parse(a.details!).changes)).toEqual(expect.arrayContaining([{ name: { from: 'before', to: 'after' } }, { description: { from: 'old words', to: null } }]));
    // The same values again: nothing changes and nothing is recorded.
    await ok(UPDATE, { id: t.id, input: { name: 'after' } }, world.member.session);
    expect(await audits(t.id, 'token.updated')).toHaveLength(2);
    // The secret is untouched.
    expect((await ok(ME, {}, auth.apiKey(t.secret))).me.id).toBe(world.member.id);
  });

  test('bad input: nothing to change, empty or null name, too long, a name the owner already uses, a deleted token', async () => {
    const t = await createToken(app(), world.member, { name: 'keeper' });
    await createToken(app(), world.member, { name: 'Taken-Name' });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{}, 'BAD_USER_INPUT', /^input:/],
      [{ name: '   ' }, 'BAD_USER_INPUT', /^name:/],
      [{ name: null }, 'BAD_USER_INPUT', /^name:.*null/],
      [{ name: 'x'.repeat(101) }, 'BAD_USER_INPUT', /^name:/],
      [{ description: 'y'.repeat(1001) }, 'BAD_USER_INPUT', /^description:/],
      [{ name: 'taken-name' }, 'CONFLICT', /^name: is already used by another token of this user/],
    ];
    for (const [input, c, message] of cases) {
      const res = await fail(UPDATE, { id: t.id, input }, world.member.session);
      expect(res.code).toBe(c);
      expect(res.message).toMatch(message);
    }
    expect((await fail(UPDATE, { id: t.id, input: { name: 1 } }, world.member.session)).code).toBe('BAD_USER_INPUT');
    // Its own name in another case is no conflict.
    expect((await ok(UPDATE, { id: t.id, input: { name: 'KEEPER' } }, world.member.session)).updateApiToken.name).toBe('KEEPER');
    await ok(REVOKE, { id: t.id }, world.member.session);
    await ok(DELETE, { id: t.id }, world.member.session);
    const deleted = await fail(UPDATE, { id: t.id, input: { name: 'again' } }, world.member.session);
    expect(deleted.code).toBe('BAD_USER_INPUT');
    expect(deleted.message).toMatch(/^id:.*deleted/);
  });

  test('unauthenticated, forbidden (READ_ONLY token), not visible (another member), another account: nothing changes', async () => {
    const t = await createToken(app(), world.admin, { name: 'admins' });
    expect((await fail(UPDATE, { id: t.id, input: { name: 'x' } })).code).toBe('UNAUTHENTICATED');
    expect((await fail(UPDATE, { id: t.id, input: { name: 'x' } }, auth.apiKey(generateSecret().secret))).code).toBe('UNAUTHENTICATED');
    const ro = await createToken(app(), world.admin, { role: 'READ_ONLY' });
    expect((await fail(UPDATE, { id: t.id, input: { name: 'x' } }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    expect((await fail(UPDATE, { id: t.id, input: { name: 'x' } }, world.member.session)).code).toBe('NOT_FOUND');
    const foreign = await fail(UPDATE, { id: t.id, input: { name: 'x' } }, world.stranger.session);
    expect(foreign.code).toBe('NOT_FOUND');
    expect(foreign.data).toBeNull();
    const row = await app().server.dataSource.getRepository(ApiToken).findOneByOrFail({ id: t.id });
    expect(row.name).toBe('admins');
  });

  test('through the gateway: success, unauthenticated and another account', async () => {
    const t = await createToken(app(), world.member, { name: 'gw-before' });
    const r = await viaGateway(gw, UPDATE, { id: t.id, input: { name: 'gw-after' } }, world.member.session);
    expect(r.errors).toBeUndefined();
    expect(r.data.updateApiToken.name).toBe('gw-after');
    expect(code(await viaGateway(gw, UPDATE, { id: t.id, input: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    expect(code(await viaGateway(gw, UPDATE, { id: t.id, input: { name: 'x' } }, world.stranger.session))).toBe('NOT_FOUND');
    expect(code(await viaGateway(gw, UPDATE, { id: t.id, input: {} }, world.member.session))).toBe('BAD_USER_INPUT');
  });
});

describe('disableApiToken and enableApiToken', () => {
  test('a disabled token is refused at once on every path (direct, in-process gateway with a warm cache, introspection) and comes back with the same secret', async () => {
    const t = await createToken(app(), world.member, { name: 'pausable' });
    await worksEverywhere(t, world.member.id); // every cache is warm now
    const d = (await ok(DISABLE, { id: t.id }, world.member.session)).disableApiToken;
    expect(d).toMatchObject({ id: t.id, status: 'DISABLED', disabledBy: { id: world.member.id } });
    expect(d.disabledAt).not.toBeNull();
    await refusedEverywhere(t);
    // Idempotent.
    expect((await ok(DISABLE, { id: t.id }, world.member.session)).disableApiToken.disabledAt).toBe(d.disabledAt);
    const e = (await ok(ENABLE, { id: t.id }, world.member.session)).enableApiToken;
    expect(e).toMatchObject({ status: 'ACTIVE', disabledAt: null, disabledBy: null });
    await worksEverywhere(t, world.member.id);
    expect((await ok(ENABLE, { id: t.id }, world.member.session)).enableApiToken.status).toBe('ACTIVE');
    expect(await audits(t.id, 'token.disabled')).toHaveLength(1);
    expect(await audits(t.id, 'token.enabled')).toHaveLength(1);
  });

  test('DISABLED in filters: listed by default and with status [DISABLED], not with [ACTIVE]', async () => {
    const t = await createToken(app(), world.member, { name: 'listed-disabled', environment: 'filters-disabled' });
    const u = await createToken(app(), world.member, { name: 'listed-active', environment: 'filters-disabled' });
    await ok(DISABLE, { id: t.id }, world.member.session);
    const names = async (status?: string[]) =>
      (await ok(LIST, { filter: { environment: 'filters-disabled', ...(status ? { status } : {}) } }, world.member.session)).apiTokens.nodes.map((n: any) => n.name).sort();
    expect(await names()).toEqual(['listed-active', 'listed-disabled']);
    expect(await names(['DISABLED'])).toEqual(['listed-disabled']);
    expect(await names(['ACTIVE'])).toEqual(['listed-active']);
    expect(await names(['EXPIRED'])).toEqual([]);
    expect(u.id).toBeDefined();
  });

  test('a disabled token cannot be regenerated or deleted, can be revoked; a revoked or expired one cannot be disabled or enabled', async () => {
    const t = await createToken(app(), world.member);
    await ok(DISABLE, { id: t.id }, world.member.session);
    expect((await fail(REGENERATE, { id: t.id }, world.member.session)).message).toMatch(/^id:.*disabled/);
    expect((await fail(DELETE, { id: t.id }, world.member.session)).message).toMatch(/^id:.*disabled.*revoke it first/);
    expect((await ok(REVOKE, { id: t.id }, world.member.session)).revokeApiToken.status).toBe('REVOKED');
    for (const q of [DISABLE, ENABLE]) {
      const res = await fail(q, { id: t.id }, world.member.session);
      expect(res.code).toBe('BAD_USER_INPUT');
      expect(res.message).toMatch(/^id:.*revoked/);
    }
    await refusedEverywhere(t);
  });

  test('a token someone else disabled: its owner may not enable it, OWNER/ADMIN may', async () => {
    const t = await createToken(app(), world.member, { name: 'admin-paused' });
    await ok(DISABLE, { id: t.id }, world.admin.session);
    const res = await fail(ENABLE, { id: t.id }, world.member.session);
    expect(res.code).toBe('FORBIDDEN');
    await refusedEverywhere(t);
    expect((await ok(ENABLE, { id: t.id }, world.owner.session)).enableApiToken.status).toBe('ACTIVE');
  });

  test('enabling counts against maxActiveTokens again', async () => {
    const boss = await addUser(app(), world.stranger, 'ADMIN', 'limit boss');
    await setPolicy(app(), world.stranger, { maxActiveTokens: 1 });
    try {
      const a = await createToken(app(), boss);
      await ok(DISABLE, { id: a.id }, boss.session);
      const b = await createToken(app(), boss); // the paused one does not count
      const res = await fail(ENABLE, { id: a.id }, boss.session);
      expect(res.code).toBe('TOKEN_LIMIT_REACHED');
      await ok(REVOKE, { id: b.id }, boss.session);
      expect((await ok(ENABLE, { id: a.id }, boss.session)).enableApiToken.status).toBe('ACTIVE');
      await ok(REVOKE, { id: a.id }, boss.session);
    } finally {
      await setPolicy(app(), world.stranger, { maxActiveTokens: 50 });
    }
  });

  test('unauthenticated, forbidden (READ_ONLY token), not visible, another account; directly and through the gateway', async () => {
    const t = await createToken(app(), world.admin, { name: 'guarded' });
    const ro = await createToken(app(), world.admin, { role: 'READ_ONLY' });
    for (const q of [DISABLE, ENABLE]) {
      expect((await fail(q, { id: t.id })).code).toBe('UNAUTHENTICATED');
      expect((await fail(q, { id: t.id }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
      expect((await fail(q, { id: t.id }, world.member.session)).code).toBe('NOT_FOUND');
      expect((await fail(q, { id: t.id }, world.stranger.session)).code).toBe('NOT_FOUND');
      expect((await fail(q, { id: '01890000-0000-7000-8000-000000000000' }, world.admin.session)).code).toBe('NOT_FOUND');
      expect(code(await viaGateway(gw, q, { id: t.id }))).toBe('UNAUTHENTICATED');
      expect(code(await viaGateway(gw, q, { id: t.id }, world.stranger.session))).toBe('NOT_FOUND');
      expect(code(await viaGateway(gw, q, { id: t.id }, auth.apiKey(ro.secret)))).toBe('FORBIDDEN');
    }
    await worksEverywhere(t, world.admin.id);
    const d = await viaGateway(gw, DISABLE, { id: t.id }, world.admin.session);
    expect(d.data.disableApiToken.status).toBe('DISABLED');
    await refusedEverywhere(t);
    const e = await viaGateway(gw, ENABLE, { id: t.id }, world.admin.session);
    expect(e.data.enableApiToken.status).toBe('ACTIVE');
    await worksEverywhere(t, world.admin.id);
  });

  test('webhooks: token.updated, token.disabled and token.enabled are delivered to subscribers', async () => {
    const hook = (await ok(CREATE_WEBHOOK, { input: { url: 'http://127.0.0.1:9/lifecycle', events: ['token.updated', 'token.disabled', 'token.enabled'] } }, world.owner.session))
      .createWebhook;
    const t = await createToken(app(), world.member, { name: 'hooked' });
    await ok(UPDATE, { id: t.id, input: { name: 'hooked-2' } }, world.member.session);
    await ok(DISABLE, { id: t.id }, world.member.session);
    await ok(ENABLE, { id: t.id }, world.member.session);
    const rows = await app().server.dataSource.getRepository(WebhookDelivery).findBy({ webhookId: hook.webhook.id });
    const events = rows.map((r) => JSON.parse(r.payload)).filter((p) => p.data.token.id === t.id);
    expect(events.map((e) => e.type).sort()).toEqual(['token.disabled', 'token.enabled', 'token.updated']);
    expect(events.find((e) => e.type === 'token.disabled').data.token.status).toBe('DISABLED');
    expect(events.find((e) => e.type === 'token.updated').data.changes).toEqual({ name: { from: 'hooked', to: 'hooked-2' } });
    await ok('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: hook.webhook.id }, world.owner.session);
  });
});

describe('revokeApiTokens', () => {
  test('OWNER/ADMIN revoke every ACTIVE or DISABLED token the filter matches, at once; each audited; owners other than the caller told', async () => {
    const env = 'bulk-one';
    const a = await createToken(app(), world.member, { environment: env });
    const b = await createToken(app(), world.admin, { environment: env });
    const c = await createToken(app(), world.readOnly, { environment: env });
    await ok(DISABLE, { id: c.id }, world.readOnly.session);
    const other = await createToken(app(), world.member, { environment: 'bulk-other' });
    const strangers = await createToken(app(), world.stranger, { environment: env });
    await worksEverywhere(a, world.member.id);
    const r = (await ok(BULK, { filter: { environment: env }, reason: 'offboarding Bob' }, world.admin.session)).revokeApiTokens;
    expect(r).toEqual({ count: 3, capped: false });
    for (const t of [a, b, c]) await refusedEverywhere(t);
    await worksEverywhere(other, world.member.id);
    await worksEverywhere(strangers, world.stranger.id);
    for (const t of [a, b, c]) {
      const rows = await audits(t.id, 'token.revoked');
      expect(rows).toHaveLength(1);
      expect(rows[0].actorId).toBe(world.admin.id);
      expect(JSON.parse(rows[0].details!)).toMatchObject({ bulk: true, reason: 'offboarding Bob' });
    }
    expect(await notices(world.member.id, a.id)).toEqual([expect.objectContaining({ kind: 'TOKEN_REVOKED', actorId: world.admin.id, reason: 'offboarding Bob' })]);
    expect(await notices(world.readOnly.id, c.id)).toHaveLength(1);
    expect(await notices(world.admin.id, b.id)).toEqual([]); // their own token
    // Again: nothing left to revoke.
    expect((await ok(BULK, { filter: { environment: env } }, world.owner.session)).revokeApiTokens).toEqual({ count: 0, capped: false });
  });

  test('by a search term: exactly the ACTIVE or DISABLED tokens the listing finds with it, by name or description; nothing of another account', async () => {
    const term = 'wolfram-sync';
    const byName = await createToken(app(), world.member, { name: `ci ${term} deploy` });
    const byDescription = await createToken(app(), world.readOnly, { name: 'plain', description: `used by ${term.toUpperCase()}` });
    await ok(DISABLE, { id: byDescription.id }, world.readOnly.session);
    // Shares all but one of the term's trigrams: found by the index's rarest trigrams, refused by the match.
    const near = await createToken(app(), world.member, { name: 'ci wolfram-synx' });
    const strangers = await createToken(app(), world.stranger, { name: `ci ${term}` });
    const listed = (await ok(LIST, { filter: { search: term, status: ['ACTIVE', 'DISABLED'] } }, world.owner.session)).apiTokens.nodes.map((n: { id: string }) => n.id);
    expect(listed.sort()).toEqual([byName.id, byDescription.id].sort());
    expect((await ok(BULK, { filter: { search: term } }, world.owner.session)).revokeApiTokens).toEqual({ count: 2, capped: false });
    for (const t of [byName, byDescription]) await refusedEverywhere(t);
    await worksEverywhere(near, world.member.id);
    await worksEverywhere(strangers, world.stranger.id);
    // A term no token of the account has (one of its trigrams is in none): nothing, and no error.
    expect((await ok(BULK, { filter: { search: 'qzxqzx' } }, world.owner.session)).revokeApiTokens).toEqual({ count: 0, capped: false });
    // A term under three characters walks the listing's index: the same semantics.
    const short = await createToken(app(), world.member, { name: 'q7' });
    expect((await ok(BULK, { filter: { search: 'Q7' } }, world.owner.session)).revokeApiTokens).toEqual({ count: 1, capped: false });
    await refusedEverywhere(short);
  });

  test('capped at 1,000 per call, oldest first; the next call revokes the rest', async () => {
    const ds = app().server.dataSource;
    // The caller's own tokens: no owner notices (and e-mails) for a thousand rows.
    const template = await ds.getRepository(ApiToken).findOneByOrFail({ id: (await createToken(app(), world.owner, { environment: 'bulk-cap' })).id });
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      ...template,
      id: `01890000-0000-7000-8${String(i).padStart(3, '0')}-${template.id.slice(-12)}`,
      name: `cap-${i}`,
      username: `${template.username.slice(0, 20)}${String(i).padStart(6, '0')}`,
      secretHash: `${template.secretHash.slice(0, 58)}${String(i).padStart(6, '0')}`,
      previousSecretHash: null,
    }));
    await ds.transaction(async (em) => {
      for (let i = 0; i < rows.length; i += 200) await em.getRepository(ApiToken).insert(rows.slice(i, i + 200));
    });
    const first = (await ok(BULK, { filter: { environment: 'bulk-cap' } }, world.owner.session)).revokeApiTokens;
    expect(first).toEqual({ count: 1000, capped: true });
    // Oldest (lowest id) first: the token created through the API, with the newest id, is what is left.
    expect((await ds.getRepository(ApiToken).findOneByOrFail({ id: template.id })).storedStatus).toBe('ACTIVE');
    expect((await ok(BULK, { filter: { environment: 'bulk-cap' } }, world.owner.session)).revokeApiTokens).toEqual({ count: 1, capped: false });
    expect(await ds.getRepository(AuditEvent).countBy({ action: 'token.revoked', actorId: world.owner.id })).toBeGreaterThanOrEqual(1001);
  });

  test('bad input: a status that cannot be revoked, an empty role list, a reason too long; nothing is revoked', async () => {
    const t = await createToken(app(), world.member, { environment: 'bulk-bad' });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ filter: { environment: 'bulk-bad', status: ['REVOKED'] } }, /^filter\.status:/],
      [{ filter: { environment: 'bulk-bad', role: [] } }, /^filter\.role:/],
      [{ filter: { environment: 'bulk-bad' }, reason: 'r'.repeat(201) }, /^reason:/],
      [{ filter: { environment: 'bulk-bad', neverUsed: true, lastUsedBefore: new Date().toISOString() } }, /^filter\.neverUsed:/],
    ];
    for (const [vars, message] of cases) {
      const res = await fail(BULK, vars, world.owner.session);
      expect(res.code).toBe('BAD_USER_INPUT');
      expect(res.message).toMatch(message);
    }
    expect((await fail('mutation { revokeApiTokens { count } }', {}, world.owner.session)).code).toBe('GRAPHQL_VALIDATION_FAILED');
    await worksEverywhere(t, world.member.id);
  });

  test('unauthenticated; MEMBER and READ_ONLY forbidden; another account revokes nothing of this one; through the gateway too', async () => {
    const t = await createToken(app(), world.member, { environment: 'bulk-guard' });
    expect((await fail(BULK, { filter: { environment: 'bulk-guard' } })).code).toBe('UNAUTHENTICATED');
    expect((await fail(BULK, { filter: { environment: 'bulk-guard' } }, world.member.session)).code).toBe('FORBIDDEN');
    expect((await fail(BULK, { filter: { environment: 'bulk-guard' } }, world.readOnly.session)).code).toBe('FORBIDDEN');
    const adminRo = await createToken(app(), world.admin, { role: 'READ_ONLY' });
    expect((await fail(BULK, { filter: { environment: 'bulk-guard' } }, auth.apiKey(adminRo.secret))).code).toBe('FORBIDDEN');
    expect((await ok(BULK, { filter: { environment: 'bulk-guard' } }, world.stranger.session)).revokeApiTokens.count).toBe(0);
    expect((await ok(BULK, { filter: { owner: world.member.id } }, world.stranger.session)).revokeApiTokens.count).toBe(0);
    expect(code(await viaGateway(gw, BULK, { filter: { environment: 'bulk-guard' } }))).toBe('UNAUTHENTICATED');
    expect(code(await viaGateway(gw, BULK, { filter: { environment: 'bulk-guard' } }, world.member.session))).toBe('FORBIDDEN');
    expect((await viaGateway(gw, BULK, { filter: { environment: 'bulk-guard' } }, world.stranger.session)).data.revokeApiTokens.count).toBe(0);
    await worksEverywhere(t, world.member.id);
    const res = await viaGateway(gw, BULK, { filter: { environment: 'bulk-guard' } }, world.admin.session);
    expect(res.data.revokeApiTokens).toEqual({ count: 1, capped: false });
    await refusedEverywhere(t);
  });
});

describe('the owner is told when someone else acts on their token', () => {
  /** The message as read: quoted-printable soft breaks and folded header lines undone. */
  const text = (data: string) => data.replace(/=\r?\n/g, '').replace(/\r?\n[ \t]+/g, ' ');
  const mailFor = (to: string, kind: string, name: string) => smtp.mails.filter((m) => m.to.includes(to) && text(m.data).includes(`"${name}"`) && text(m.data).includes(kind));

  test('revoke, disable and regenerate by an admin, and a leak report: in-app naming who and when, and an e-mail without the secret', async () => {
    const revoked = await createToken(app(), world.member, { name: 'told-revoked' });
    const disabled = await createToken(app(), world.member, { name: 'told-disabled' });
    const regenerated = await createToken(app(), world.member, { name: 'told-regenerated' });
    const leaked = await createToken(app(), world.member, { name: 'told-leaked' });
    const before = Date.now();
    await ok(REVOKE, { id: revoked.id }, world.admin.session);
    await ok(DISABLE, { id: disabled.id }, world.admin.session);
    const newSecret = (await ok(REGENERATE, { id: regenerated.id }, world.admin.session)).regenerateApiToken.secret;
    await ok(REVOKE_LEAKED, { secret: leaked.secret });
    const mine = (await ok(NOTIFICATIONS, {}, world.member.session)).notifications.nodes;
    const of = (id: string) => mine.filter((n: any) => n.token?.id === id);
    const adminName = `${world.admin.name} <${world.admin.email}>`;
    expect(of(revoked.id)).toEqual([expect.objectContaining({ kind: 'TOKEN_REVOKED', actor: adminName, reason: null })]);
    expect(of(disabled.id)).toEqual([expect.objectContaining({ kind: 'TOKEN_DISABLED', actor: adminName })]);
    expect(of(regenerated.id)).toEqual([expect.objectContaining({ kind: 'TOKEN_REGENERATED', actor: adminName })]);
    expect(of(leaked.id)).toEqual([expect.objectContaining({ kind: 'TOKEN_REVOKED', actor: 'a leak report', reason: 'leak_report' })]);
    for (const n of [...of(revoked.id), ...of(leaked.id)]) expect(Math.abs(new Date(n.actedAt).getTime() - before)).toBeLessThan(60_000);
    // Nobody else gets these.
    expect((await ok(NOTIFICATIONS, {}, world.owner.session)).notifications.nodes.filter((n: any) => n.token?.id === revoked.id)).toEqual([]);

    await app().server.scheduler.runOnce();
    const sent = [
      ...mailFor(world.member.email, 'revoked by', 'told-revoked'),
      ...mailFor(world.member.email, 'disabled by', 'told-disabled'),
      ...mailFor(world.member.email, 'regenerated by', 'told-regenerated'),
      ...mailFor(world.member.email, 'a leak report', 'told-leaked'),
    ];
    expect(sent).toHaveLength(4);
    for (const m of sent) {
      for (const s of [revoked.secret, disabled.secret, regenerated.secret, leaked.secret, newSecret]) expect(m.data).not.toContain(s);
    }
    expect(text(mailFor(world.member.email, 'revoked by', 'told-revoked')[0].data)).toContain(world.admin.email);
  });

  test('the owner acting on their own token is not told; e-mail off: in-app only', async () => {
    const own = await createToken(app(), world.member, { name: 'told-own' });
    await ok(DISABLE, { id: own.id }, world.member.session);
    await ok(REVOKE, { id: own.id }, auth.apiKey((await createToken(app(), world.member)).secret));
    expect(await notices(world.member.id, own.id)).toEqual([]);

    const quiet = await addUser(app(), world.owner, 'MEMBER', 'quiet member');
    await ok('mutation { updateNotificationSettings(input: { email: false }) { email } }', {}, quiet.session);
    const t = await createToken(app(), quiet, { name: 'told-quiet' });
    await ok(REVOKE, { id: t.id }, world.owner.session);
    const rows = await notices(quiet.id, t.id);
    expect(rows).toEqual([expect.objectContaining({ kind: 'TOKEN_REVOKED', actorId: world.owner.id, emailStatus: 'SKIPPED' })]);
    await app().server.scheduler.runOnce();
    expect(smtp.mails.filter((m) => m.to.includes(quiet.email))).toEqual([]);
  });
});

describe('lastUsedBefore, lastUsedAfter, neverUsed', () => {
  test('filter by last use, with clear errors for contradictions', async () => {
    const used = await createToken(app(), world.member, { environment: 'last-used' });
    const unused = await createToken(app(), world.member, { environment: 'last-used' });
    await ok(ME, {}, auth.apiKey(used.secret));
    await app().server.usage.flush();
    const ids = async (f: Record<string, unknown>) => (await ok(LIST, { filter: { environment: 'last-used', ...f } }, world.member.session)).apiTokens.nodes.map((n: any) => n.id).sort();
    const hourAgo = new Date(clock.nowMs() - 3600_000).toISOString();
    const inAnHour = new Date(clock.nowMs() + 3600_000).toISOString();
    expect(await ids({ neverUsed: true })).toEqual([unused.id]);
    expect(await ids({ neverUsed: false })).toEqual([used.id]);
    expect(await ids({ lastUsedAfter: hourAgo })).toEqual([used.id]);
    expect(await ids({ lastUsedBefore: hourAgo })).toEqual([]);
    expect(await ids({ lastUsedBefore: inAnHour, lastUsedAfter: hourAgo })).toEqual([used.id]);
    const bad = await fail(LIST, { filter: { lastUsedBefore: hourAgo, lastUsedAfter: inAnHour } }, world.member.session);
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/^filter\.lastUsedAfter:/);
    expect((await fail(LIST, { filter: { lastUsedBefore: 'yesterday' } }, world.member.session)).code).toBe('BAD_USER_INPUT');
    // Another account's tokens never match.
    expect((await ok(LIST, { filter: { environment: 'last-used', neverUsed: true } }, world.stranger.session)).apiTokens.nodes).toEqual([]);
  });
});

describe('inactivity clean-up (revokeUnusedAfterDays)', () => {
  test('policy: admins only, 8 to 3650 days or null', async () => {
    for (const bad of [7, 0, 3651]) {
      const res = await fail(POLICY, { input: { revokeUnusedAfterDays: bad } }, world.owner.session);
      expect(res.code).toBe('BAD_USER_INPUT');
      expect(res.message).toMatch(/^revokeUnusedAfterDays:/);
    }
    expect((await fail(POLICY, { input: { revokeUnusedAfterDays: 30 } }, world.member.session)).code).toBe('FORBIDDEN');
    expect((await fail(POLICY, { input: { revokeUnusedAfterDays: 30 } })).code).toBe('UNAUTHENTICATED');
    expect((await ok(POLICY, { input: { revokeUnusedAfterDays: 365 } }, world.owner.session)).updateAccountPolicy.revokeUnusedAfterDays).toBe(365);
    expect((await ok(POLICY, { input: { revokeUnusedAfterDays: null } }, world.owner.session)).updateAccountPolicy.revokeUnusedAfterDays).toBeNull();
  });

  test('warns the owner 7 days before, then revokes with reason "inactive"; a use in between saves the token; two passes at once act once', async () => {
    // In an account of its own (the clock moves): unused tokens elsewhere are not this test's business.
    let boss: Actor = (await createWorld(app())).owner;
    await ok(POLICY, { input: { revokeUnusedAfterDays: 30, defaultTokenLifetimeDays: null } }, boss.session);
    const idle = await createToken(app(), boss, { name: 'idle', neverExpires: true });
    const busy = await createToken(app(), boss, { name: 'busy', neverExpires: true });
    const paused = await createToken(app(), boss, { name: 'paused', neverExpires: true });
    await ok(DISABLE, { id: paused.id }, boss.session);
    const cleaner = () => new InactivityCleaner(app().server.dataSource, app().server.authenticator.cache);
    const twice = async () => Promise.all([cleaner().run(), cleaner().run()]);
    const total = (rs: Array<{ warned: number; revoked: number }>) => rs.reduce((s, r) => ({ warned: s.warned + r.warned, revoked: s.revoked + r.revoked }), { warned: 0, revoked: 0 });
    const warningsOf = (id: string) => app().server.dataSource.getRepository(TokenInactivityNotice).findBy({ tokenId: id });
    try {
      clock.advance(22 * DAY);
      expect(total(await twice())).toEqual({ warned: 0, revoked: 0 }); // 22 days: not yet
      clock.advance(2 * DAY); // 24 days unused: within 7 days of 30
      expect(total(await twice())).toEqual({ warned: 2, revoked: 0 });
      expect(total(await twice())).toEqual({ warned: 0, revoked: 0 }); // said once
      expect(await warningsOf(idle.id)).toHaveLength(1);
      expect(await warningsOf(paused.id)).toEqual([]); // not ACTIVE
      boss = await relogin(app(), boss);
      const warned = (await ok(NOTIFICATIONS, {}, boss.session)).notifications.nodes.filter((n: any) => n.kind === 'TOKEN_INACTIVE');
      expect(warned.map((n: any) => n.token.id).sort()).toEqual([idle.id, busy.id].sort());
      expect(warned[0]).toMatchObject({ actor: 'the inactivity clean-up', thresholdDays: 7, reason: 'inactive' });

      await ok(ME, {}, auth.apiKey(busy.secret)); // used: its warning no longer counts
      await app().server.usage.flush();
      clock.advance(7 * DAY); // 31 days since creation
      expect(total(await twice())).toEqual({ warned: 0, revoked: 1 });
      expect(total(await twice())).toEqual({ warned: 0, revoked: 0 });
      // Directly (the gateways' identities carry real time, and the clock here has moved a month).
      for (const h of [auth.apiKey(idle.secret), auth.basic(idle.username, idle.secret)]) expect((await fail(ME, {}, h)).code).toBe('UNAUTHENTICATED');
      expect((await ok(ME, {}, auth.apiKey(busy.secret))).me.id).toBe(boss.id);
      const audit = await audits(idle.id, 'token.revoked');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ reason: 'inactive', actorId: null, ip: null, userAgent: null }); // no request asked for it
      boss = await relogin(app(), boss);
      const told = (await ok(NOTIFICATIONS, {}, boss.session)).notifications.nodes.filter((n: any) => n.kind === 'TOKEN_REVOKED');
      expect(told).toEqual([expect.objectContaining({ actor: 'the inactivity clean-up', reason: 'inactive', token: expect.objectContaining({ id: idle.id }) })]);
      // Off: nothing more happens.
      await ok(POLICY, { input: { revokeUnusedAfterDays: null } }, boss.session);
      clock.advance(60 * DAY);
      expect(total(await twice())).toEqual({ warned: 0, revoked: 0 });
    } finally {
      clock.reset();
      for (const k of Object.keys(world) as Array<keyof World>) world[k] = await relogin(app(), world[k]);
    }
  });
});
