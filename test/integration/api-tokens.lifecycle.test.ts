import { startTestApp, TestApp } from '../helpers/app';
import { addUser, auth, createToken, createWorld, CreatedToken, World } from '../helpers/world';
import { countQueries, DAY, DELETE, generateSecret, GET, LIST, ME, REGENERATE, relogin, REVOKE, REVOKE_LEAKED, setPolicy, UPDATE_ROLE } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';

/** revokeApiToken, deleteApiToken, regenerateApiToken, revokeLeakedApiToken and usage tracking. */
let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());

async function works(t: { secret: string; username: string }, userId?: string) {
  for (const h of [auth.apiKey(t.secret), auth.basic(t.username, t.secret)]) {
    const res = await app.gql(ME, {}, h);
    expect(res.errors).toBeUndefined();
    if (userId) expect(res.data.me.id).toBe(userId);
  }
}
async function stopped(t: { secret: string; username: string }) {
  for (const h of [auth.apiKey(t.secret), auth.bearer(t.secret), auth.basic(t.username, t.secret)]) {
    const res = await app.gql(ME, {}, h);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  }
}
const status = async (id: string, by = world.owner) => (await app.ok(GET, { id }, by.session)).apiToken?.status;

describe('revokeApiToken', () => {
  test('takes effect before it returns: the very next request with the secret is UNAUTHENTICATED', async () => {
    const t = await createToken(app, world.member);
    await works(t, world.member.id); // cached now
    const before = Date.now();
    const { revokeApiToken: r } = await app.ok(REVOKE, { id: t.id }, world.member.session);
    expect(r).toMatchObject({ id: t.id, status: 'REVOKED', revokedBy: { id: world.member.id }, expiringSoon: false });
    expect(Math.abs(new Date(r.revokedAt).getTime() - before)).toBeLessThan(60_000);
    await stopped(t);
  });

  test('is irreversible and idempotent: revoking again keeps the first revocation', async () => {
    const t = await createToken(app, world.member);
    const first = (await app.ok(REVOKE, { id: t.id }, world.member.session)).revokeApiToken;
    const again = (await app.ok(REVOKE, { id: t.id }, world.admin.session)).revokeApiToken;
    expect(again.status).toBe('REVOKED');
    expect(again.revokedAt).toBe(first.revokedAt);
    expect(again.revokedBy.id).toBe(world.member.id);
    // No mutation brings it back: regenerate is refused.
    expect((await app.fail(REGENERATE, { id: t.id }, world.member.session)).code).toBe('BAD_USER_INPUT');
    await stopped(t);
  });

  test('OWNER and ADMIN revoke any token of their account; the issuer and the owner revoke theirs', async () => {
    const a = await createToken(app, world.member);
    expect((await app.ok(REVOKE, { id: a.id }, world.admin.session)).revokeApiToken.revokedBy.id).toBe(world.admin.id);
    const b = await createToken(app, world.admin);
    expect((await app.ok(REVOKE, { id: b.id }, world.owner.session)).revokeApiToken.revokedBy.id).toBe(world.owner.id);
    // Issued by an admin for the member: the member (owner) may revoke it.
    const c = await createToken(app, world.admin, { ownerId: world.member.id });
    expect((await app.ok(REVOKE, { id: c.id }, world.member.session)).revokeApiToken.status).toBe('REVOKED');
    // An issuer demoted to MEMBER still sees and revokes what they issued.
    const issuer = await addUser(app, world.owner, 'ADMIN', 'issuer');
    const d = await createToken(app, issuer, { ownerId: world.readOnly.id });
    await app.ok(UPDATE_ROLE, { id: issuer.id, role: 'MEMBER' }, world.owner.session);
    expect((await app.ok(REVOKE, { id: d.id }, issuer.session)).revokeApiToken.revokedBy.id).toBe(issuer.id);
    // READ_ONLY users revoke their own tokens with their session.
    const e = await createToken(app, world.readOnly);
    expect((await app.ok(REVOKE, { id: e.id }, world.readOnly.session)).revokeApiToken.status).toBe('REVOKED');
  });

  test('a token may revoke itself', async () => {
    const t = await createToken(app, world.member);
    expect((await app.ok(REVOKE, { id: t.id }, auth.apiKey(t.secret))).revokeApiToken.status).toBe('REVOKED');
    await stopped(t);
  });

  test('members cannot revoke tokens they neither own nor issued: NOT_FOUND, and the token keeps working', async () => {
    const t = await createToken(app, world.admin);
    expect((await app.fail(REVOKE, { id: t.id }, world.member.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(REVOKE, { id: t.id }, world.readOnly.session)).code).toBe('NOT_FOUND');
    await works(t, world.admin.id);
  });

  test('another account: NOT_FOUND, never FORBIDDEN, and nothing changes', async () => {
    const t = await createToken(app, world.member);
    const res = await app.fail(REVOKE, { id: t.id }, world.stranger.session);
    expect(res.code).toBe('NOT_FOUND');
    expect(res.data).toBeNull();
    await works(t, world.member.id);
    expect(await status(t.id)).toBe('ACTIVE');
  });

  test('bad input and unauthenticated', async () => {
    expect((await app.fail(REVOKE, { id: '01890000-0000-7000-8000-000000000000' }, world.owner.session)).code).toBe('NOT_FOUND');
    expect((await app.fail('mutation { revokeApiToken { id } }', {}, world.owner.session)).code).toBe('GRAPHQL_VALIDATION_FAILED');
    const t = await createToken(app, world.member);
    expect((await app.fail(REVOKE, { id: t.id })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(REVOKE, { id: t.id }, auth.apiKey(generateSecret().secret))).code).toBe('UNAUTHENTICATED');
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    await app.ok(DELETE, { id: t.id }, world.member.session);
    const deleted = await app.fail(REVOKE, { id: t.id }, world.member.session);
    expect(deleted.code).toBe('BAD_USER_INPUT');
    expect(deleted.message).toMatch(/^id:.*deleted/);
  });
});

describe('deleteApiToken', () => {
  test('an ACTIVE token is BAD_USER_INPUT: revoke it first', async () => {
    const t = await createToken(app, world.member);
    const res = await app.fail(DELETE, { id: t.id }, world.member.session);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(/revoke it first/);
    await works(t);
  });

  test('a REVOKED token becomes DELETED, stays readable by id, leaves the default list, and deleting again is harmless', async () => {
    const t = await createToken(app, world.member);
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    expect((await app.ok(DELETE, { id: t.id }, world.member.session)).deleteApiToken).toBe(t.id);
    const got = (await app.ok(GET, { id: t.id }, world.member.session)).apiToken;
    expect(got.status).toBe('DELETED');
    expect(got.deletedAt).not.toBeNull();
    expect(got.revokedBy.id).toBe(world.member.id);
    const listed = (await app.ok(LIST, { first: 100 }, world.member.session)).apiTokens.nodes.map((n: any) => n.id);
    expect(listed).not.toContain(t.id);
    const deleted = (await app.ok(LIST, { first: 100, filter: { status: ['DELETED'] } }, world.member.session)).apiTokens.nodes.map((n: any) => n.id);
    expect(deleted).toContain(t.id);
    expect((await app.ok(DELETE, { id: t.id }, world.member.session)).deleteApiToken).toBe(t.id);
    await stopped(t);
  });

  test('OWNER and ADMIN delete any revoked token of the account; others get NOT_FOUND', async () => {
    const t = await createToken(app, world.member);
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    expect((await app.fail(DELETE, { id: t.id }, world.readOnly.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(DELETE, { id: t.id }, world.stranger.session)).code).toBe('NOT_FOUND');
    expect(await status(t.id)).toBe('REVOKED');
    expect((await app.ok(DELETE, { id: t.id }, world.admin.session)).deleteApiToken).toBe(t.id);
  });

  test('unknown ids are NOT_FOUND; anonymous callers UNAUTHENTICATED', async () => {
    expect((await app.fail(DELETE, { id: 'nope' }, world.owner.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(DELETE, { id: 'nope' })).code).toBe('UNAUTHENTICATED');
  });
});

describe('regenerateApiToken', () => {
  test('without a grace period the old secret stops at once; id, name, username and role stay', async () => {
    const t = await createToken(app, world.member, { name: 'rotate-me', environment: 'ci' });
    await works(t); // cached
    const { regenerateApiToken: r } = await app.ok(REGENERATE, { id: t.id }, world.member.session);
    expect(r.secret).toMatch(/^tgk_[0-9A-Za-z]{42}$/);
    expect(r.secret).not.toBe(t.secret);
    expect(r.token).toMatchObject({ id: t.id, name: 'rotate-me', username: t.username, role: 'MEMBER', environment: 'ci', status: 'ACTIVE' });
    expect(r.token.hint).toBe(r.secret.slice(0, 8));
    expect(r.token.regeneratedAt).not.toBeNull();
    expect(r.token.expiresAt).toBe(t.expiresAt); // kept by default
    await stopped(t);
    await works({ secret: r.secret, username: t.username }, world.member.id);
    // The old secret is no longer even reportable as leaked.
    expect((await app.ok(REVOKE_LEAKED, { secret: t.secret })).revokeLeakedApiToken).toBe(true);
    await works({ secret: r.secret, username: t.username });
  });

  test('a new expiry, or none, may be set; the policy still applies', async () => {
    const t = await createToken(app, world.member);
    const at = new Date(Date.now() + 10 * DAY).toISOString();
    expect((await app.ok(REGENERATE, { id: t.id, expiresAt: at }, world.member.session)).regenerateApiToken.token.expiresAt).toBe(at);
    expect((await app.ok(REGENERATE, { id: t.id, neverExpires: true }, world.member.session)).regenerateApiToken.token.expiresAt).toBeNull();
    try {
      await setPolicy(app, world.owner, { maxTokenLifetimeDays: 30, defaultTokenLifetimeDays: 30 });
      const never = await app.fail(REGENERATE, { id: t.id, neverExpires: true }, world.member.session);
      expect(never.code).toBe('BAD_USER_INPUT');
      expect(never.message).toMatch(/^neverExpires:/);
      expect((await app.fail(REGENERATE, { id: t.id, expiresAt: new Date(Date.now() + 31 * DAY).toISOString() }, world.member.session)).code).toBe('BAD_USER_INPUT');
    } finally {
      await setPolicy(app, world.owner, { maxTokenLifetimeDays: null, defaultTokenLifetimeDays: 365 });
    }
  });

  test.each([
    ['a negative grace period', { grace: -1 }, /^gracePeriodSeconds:/],
    ['a grace period over 7 days', { grace: 604_801 }, /^gracePeriodSeconds:/],
    ['an expiry in the past', { expiresAt: new Date(Date.now() - 1000).toISOString() }, /^expiresAt:/],
    ['expiresAt with neverExpires', { expiresAt: new Date(Date.now() + DAY).toISOString(), neverExpires: true }, /^neverExpires:/],
  ])('%s is BAD_USER_INPUT and the secret keeps working', async (_label, vars, message) => {
    const t = await createToken(app, world.member);
    const res = await app.fail(REGENERATE, { id: t.id, ...vars }, world.member.session);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(message);
    await works(t);
  });

  test('revoked and deleted tokens cannot be regenerated', async () => {
    const t = await createToken(app, world.member);
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    expect((await app.fail(REGENERATE, { id: t.id }, world.member.session)).message).toMatch(/^id:.*revoked/);
    await app.ok(DELETE, { id: t.id }, world.member.session);
    expect((await app.fail(REGENERATE, { id: t.id }, world.member.session)).message).toMatch(/^id:.*deleted/);
    await stopped(t);
  });

  test("regenerating a token whose role is above the caller's is FORBIDDEN", async () => {
    const demoted = await addUser(app, world.owner, 'ADMIN', 'regen-demoted');
    const t = await createToken(app, demoted);
    await app.ok(UPDATE_ROLE, { id: demoted.id, role: 'MEMBER' }, world.owner.session);
    expect((await app.fail(REGENERATE, { id: t.id }, demoted.session)).code).toBe('FORBIDDEN');
    // The account OWNER may.
    expect((await app.ok(REGENERATE, { id: t.id }, world.owner.session)).regenerateApiToken.token.role).toBe('ADMIN');
  });

  test('another account and invisible tokens are NOT_FOUND; anonymous callers UNAUTHENTICATED', async () => {
    const t = await createToken(app, world.admin);
    expect((await app.fail(REGENERATE, { id: t.id }, world.stranger.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(REGENERATE, { id: t.id }, world.member.session)).code).toBe('NOT_FOUND');
    expect((await app.fail(REGENERATE, { id: t.id })).code).toBe('UNAUTHENTICATED');
    await works(t, world.admin.id);
  });
});

describe('revokeLeakedApiToken', () => {
  test('anyone, unauthenticated, revokes a valid token by its secret; the answer is always true', async () => {
    const t = await createToken(app, world.member);
    await works(t); // cached
    expect((await app.ok(REVOKE_LEAKED, { secret: t.secret })).revokeLeakedApiToken).toBe(true);
    await stopped(t);
    const got = (await app.ok(GET, { id: t.id }, world.member.session)).apiToken;
    expect(got.status).toBe('REVOKED');
    expect(got.revokedAt).not.toBeNull();
    expect(got.revokedBy).toBeNull();
    // Again, and for garbage, unknown and foreign secrets: still true.
    for (const secret of [t.secret, 'garbage', '', generateSecret().secret, 'tgk_' + 'x'.repeat(500)]) {
      expect((await app.ok(REVOKE_LEAKED, { secret })).revokeLeakedApiToken).toBe(true);
    }
    // A report from another account's user works too: possession of the secret is what counts.
    const u = await createToken(app, world.member);
    expect((await app.ok(REVOKE_LEAKED, { secret: u.secret }, world.stranger.session)).revokeLeakedApiToken).toBe(true);
    await stopped(u);
  });

  test('a malformed secret costs no query beyond none', async () => {
    const { statements } = await countQueries(app, () => app.ok(REVOKE_LEAKED, { secret: 'tgk_definitely_not_valid' }));
    expect(statements).toBe(0);
  });
});

describe('usage tracking', () => {
  test('uses are coalesced in memory and written on flush: useCount, lastUsedAt', async () => {
    const t = await createToken(app, world.member);
    await app.server.usage.flush();
    for (let i = 0; i < 5; i++) await app.ok(ME, {}, auth.apiKey(t.secret));
    await app.gql(ME, {}, auth.basic('tgu_wrongwrongwrongw', t.secret)); // refused: not counted
    const before = (await app.ok(GET, { id: t.id }, world.member.session)).apiToken;
    expect(before.useCount).toBe(0);
    expect(before.lastUsedAt).toBeNull();

    await app.server.usage.flush();
    const after = (await app.ok(GET, { id: t.id }, world.member.session)).apiToken;
    expect(after.useCount).toBe(5);
    expect(Math.abs(new Date(after.lastUsedAt).getTime() - Date.now())).toBeLessThan(60_000);
    expect(after.lastUsedIps.length).toBe(1);

    // Counts add up across flushes; sessions are not token uses.
    await app.ok(ME, {}, auth.bearer(t.secret));
    await app.ok(ME, {}, world.member.session);
    await app.server.usage.flush();
    expect((await app.ok(GET, { id: t.id }, world.member.session)).apiToken.useCount).toBe(6);
  });

  test('a flush writes once per token, however many requests were coalesced', async () => {
    const a = await createToken(app, world.member);
    await app.server.usage.flush();
    await app.ok(ME, {}, auth.apiKey(a.secret));
    const one = await countQueries(app, () => app.server.usage.flush());
    for (let i = 0; i < 20; i++) await app.ok(ME, {}, auth.apiKey(a.secret));
    const twenty = await countQueries(app, () => app.server.usage.flush());
    expect(twenty.statements).toBe(one.statements);
    expect((await app.ok(GET, { id: a.id }, world.member.session)).apiToken.useCount).toBe(21);
  });
});

describe('client addresses (behind a trusted proxy)', () => {
  let proxied: TestApp;
  let owner: World['owner'];
  beforeAll(async () => {
    proxied = await startTestApp({ TRUST_PROXY: 'true', LEAK_REPORTS_PER_MINUTE: '3' });
    owner = (await createWorld(proxied)).owner;
  });
  afterAll(() => proxied?.stop());

  const from = (ip: string, authorization: string, query = ME, variables: Record<string, unknown> = {}) =>
    fetch(proxied.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization, 'x-forwarded-for': ip },
      body: JSON.stringify({ query, variables }),
    }).then((r) => r.json() as Promise<any>);

  test('lastUsedIps keeps the last five distinct addresses, newest first', async () => {
    const t = await createToken(proxied, owner);
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.3', '10.0.0.4', '10.0.0.5']) await from(ip, auth.apiKey(t.secret));
    await proxied.server.usage.flush();
    for (const ip of ['10.0.0.6', '10.0.0.5']) await from(ip, auth.apiKey(t.secret));
    await proxied.server.usage.flush();
    const got = (await proxied.ok(GET, { id: t.id }, owner.session)).apiToken;
    expect(got.useCount).toBe(8);
    expect(got.lastUsedIps).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.4', '10.0.0.3', '10.0.0.1']);
  });

  test('a forged, oversized X-Forwarded-For is not stored and does not break usage writes for anyone', async () => {
    const a = await createToken(proxied, owner);
    const b = await createToken(proxied, owner);
    await from('x'.repeat(400), auth.apiKey(a.secret));
    await from('not-an-ip, 10.1.1.1', auth.apiKey(a.secret));
    await from('10.2.2.2', auth.apiKey(b.secret));
    await proxied.server.usage.flush();
    expect(proxied.server.usage.pendingTokens).toBe(0);
    const gotA = (await proxied.ok(GET, { id: a.id }, owner.session)).apiToken;
    const gotB = (await proxied.ok(GET, { id: b.id }, owner.session)).apiToken;
    expect(gotA.useCount).toBe(2);
    expect(gotA.lastUsedIps).toEqual([]);
    expect(gotB).toMatchObject({ useCount: 1, lastUsedIps: ['10.2.2.2'] });
  });

  test('leak reports are rate limited per client address (RATE_LIMITED), and the window passes', async () => {
    const t = await createToken(proxied, owner);
    // Malformed reports cost nothing and are not counted; well-formed ones (real or not) are.
    for (let i = 0; i < 5; i++) expect((await from('10.9.9.9', '', REVOKE_LEAKED, { secret: 'garbage' })).data.revokeLeakedApiToken).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect((await from('10.9.9.9', '', REVOKE_LEAKED, { secret: generateSecret().secret })).data.revokeLeakedApiToken).toBe(true);
    }
    const limited = await from('10.9.9.9', '', REVOKE_LEAKED, { secret: t.secret });
    expect(limited.errors[0].extensions.code).toBe('RATE_LIMITED');
    // The limited report revoked nothing.
    expect((await proxied.ok(GET, { id: t.id }, owner.session)).apiToken.status).toBe('ACTIVE');
    // Another address is not limited.
    expect((await from('10.9.9.8', '', REVOKE_LEAKED, { secret: 'garbage' })).data.revokeLeakedApiToken).toBe(true);
    clock.advance(61_000);
    expect((await from('10.9.9.9', '', REVOKE_LEAKED, { secret: t.secret })).data.revokeLeakedApiToken).toBe(true);
    const fresh = await relogin(proxied, owner);
    expect((await proxied.ok(GET, { id: t.id }, fresh.session)).apiToken.status).toBe('REVOKED');
    clock.reset();
  });
});

describe('grace periods and expiry (move the clock: keep last)', () => {
  test('with a grace period both secrets work until it ends; then only the new one', async () => {
    const t = await createToken(app, world.member);
    await works(t);
    const r = (await app.ok(REGENERATE, { id: t.id, grace: 3600 }, world.member.session)).regenerateApiToken;
    const fresh = { secret: r.secret, username: t.username };
    await works(t, world.member.id);
    await works(fresh, world.member.id);
    clock.advance(3540_000);
    await works(t);
    clock.advance(61_000);
    await stopped(t);
    await works(fresh);
    // Reporting the old secret after its grace revokes nothing.
    await app.ok(REVOKE_LEAKED, { secret: t.secret });
    await works(fresh);
  });

  test('revoking during a grace period stops both secrets; a leak report of the old one revokes the token', async () => {
    const member = await relogin(app, world.member);
    const a = await createToken(app, member);
    const ra = (await app.ok(REGENERATE, { id: a.id, grace: 600 }, member.session)).regenerateApiToken;
    await app.ok(REVOKE, { id: a.id }, member.session);
    await stopped(a);
    await stopped({ secret: ra.secret, username: a.username });

    const b = await createToken(app, member);
    const rb = (await app.ok(REGENERATE, { id: b.id, grace: 600 }, member.session)).regenerateApiToken;
    await works(b);
    await app.ok(REVOKE_LEAKED, { secret: b.secret });
    await stopped(b);
    await stopped({ secret: rb.secret, username: b.username });
  });

  test('regenerating again ends the earlier grace at once; the maximum grace of 7 days is accepted', async () => {
    const member = await relogin(app, world.member);
    const t = await createToken(app, member);
    const r1 = (await app.ok(REGENERATE, { id: t.id, grace: 604_800 }, member.session)).regenerateApiToken;
    await works(t);
    const r2 = (await app.ok(REGENERATE, { id: t.id, grace: 0 }, member.session)).regenerateApiToken;
    await stopped(t);
    await stopped({ secret: r1.secret, username: t.username });
    await works({ secret: r2.secret, username: t.username });
  });

  test('an EXPIRED token cannot be regenerated, may be deleted, and is refused when used', async () => {
    const member = await relogin(app, world.member);
    const t = await createToken(app, member, { expiresAt: new Date(clock.nowMs() + DAY).toISOString() });
    clock.advance(DAY + 1000);
    const m = await relogin(app, world.member);
    await stopped(t);
    expect(await status(t.id, m)).toBe('EXPIRED');
    const regen = await app.fail(REGENERATE, { id: t.id }, m.session);
    expect(regen.code).toBe('BAD_USER_INPUT');
    expect(regen.message).toMatch(/expired/);
    expect((await app.ok(DELETE, { id: t.id }, m.session)).deleteApiToken).toBe(t.id);
    expect(await status(t.id, m)).toBe('DELETED');
  });
});
