import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';
import { countQueries, DAY, generateSecret, ME, relogin, REVOKE, setPolicy, UPDATE_ROLE } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { ApiTokenUsage } from '../../src/modules/usage/api-token-usage.entity';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { USES_PER_STATEMENT } from '../../src/modules/api-token/api-token.uses';
import { newId } from '../../src/common/ids';
import { In } from 'typeorm';

/** The audit trail (auditEvents) and per-day usage history (ApiToken.usage). */
const EVENTS = `query($filter: AuditEventFilter, $first: Int, $after: String) { auditEvents(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id action actorId actorTokenId targetType targetId reason ip userAgent details createdAt } } }`;
const USAGE = `query($id: ID!, $days: Int) { apiToken(id: $id) { id usage(days: $days) { date environment requests byIp { ip requests } } } }`;

let app: TestApp;
let world: World;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());

const events = async (filter: Record<string, unknown>, by = world.owner) => (await app.ok(EVENTS, { filter, first: 100 }, by.session)).auditEvents;

describe('auditEvents', () => {
  test('token changes are recorded with actor, acting token, IP and user agent, and never a secret', async () => {
    const t = await createToken(app, world.member, { name: 'audited' });
    // Revoke with an API token of the member, so the acting token is recorded.
    const actor = await createToken(app, world.member, { name: 'actor' });
    await app.ok(REVOKE, { id: t.id }, auth.apiKey(actor.secret));
    const list = await events({ targetId: t.id });
    expect(list.nodes.map((e: any) => e.action)).toEqual(['token.revoked', 'token.created']);
    const [revoked, created] = list.nodes;
    expect(created).toMatchObject({ actorId: world.member.id, actorTokenId: null, targetType: 'api_token' });
    expect(revoked).toMatchObject({ actorId: world.member.id, actorTokenId: actor.id });
    expect(revoked.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(revoked.userAgent).toBeTruthy();
    expect(JSON.parse(created.details)).toMatchObject({ name: 'audited' });
    // No secret anywhere in the trail.
    const rows = await app.server.dataSource.getRepository(AuditEvent).find();
    const text = JSON.stringify(rows);
    for (const s of [t.secret, actor.secret]) expect(text).not.toContain(s);
  });

  test('user, policy and session changes are recorded', async () => {
    await app.ok(UPDATE_ROLE, { id: world.readOnly.id, role: 'MEMBER' }, world.admin.session);
    await app.ok(UPDATE_ROLE, { id: world.readOnly.id, role: 'READ_ONLY' }, world.admin.session);
    const roles = await events({ action: 'user.role_changed', targetId: world.readOnly.id });
    expect(roles.nodes.map((e: any) => JSON.parse(e.details))).toEqual([
      { from: 'MEMBER', to: 'READ_ONLY' },
      { from: 'READ_ONLY', to: 'MEMBER' },
    ]);
    expect(roles.nodes[0].actorId).toBe(world.admin.id);
    expect((await events({ action: 'account.policy_updated' })).totalCount).toBeGreaterThanOrEqual(1);
    expect((await events({ action: 'user.created' })).totalCount).toBe(4); // owner's sign-up and three users
    expect((await events({ action: 'session.created', actorId: world.member.id })).totalCount).toBeGreaterThanOrEqual(1);
  });

  test('failed authentications are recorded with their reason; those naming no account are kept but invisible', async () => {
    const t = await createToken(app, world.member, { name: 'soon-revoked' });
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    const res = await app.gql(ME, {}, auth.apiKey(t.secret));
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const failed = await events({ action: 'auth.failed', targetId: t.id });
    expect(failed.nodes).toEqual([expect.objectContaining({ reason: 'revoked_token', actorTokenId: t.id, actorId: world.member.id })]);
    expect(failed.nodes[0].ip).toBeTruthy();

    // Unknown and malformed credentials name no account and must cost no write (the contract refuses them
    // without touching the database): they are logged with their reason instead.
    const unknown = generateSecret().secret;
    await app.gql(ME, {}, auth.apiKey(unknown));
    await app.gql(ME, {}, 'Bearer not-a-jwt');
    expect(await app.server.dataSource.getRepository(AuditEvent).countBy({ reason: 'unknown_token' })).toBe(0);
    expect(app.logs.some((l) => l.includes('"reason":"unknown_token"'))).toBe(true);
    expect(app.logs.join('\n')).not.toContain(unknown);
    // A login with an unknown address is stored with a null account, invisible through the API.
    await app.gql(`mutation { login(email: "nobody-${Date.now()}@example.com", password: "whatever 12345") { accessToken } }`);
    const orphans = await app.server.dataSource.getRepository(AuditEvent).findBy({ action: 'auth.failed', reason: 'unknown_email' });
    expect(orphans.length).toBeGreaterThanOrEqual(1);
    expect(orphans.every((e) => e.accountId === null)).toBe(true);
    const all = (await app.ok(EVENTS, { first: 100, filter: { action: 'auth.failed' } }, world.owner.session)).auditEvents.nodes;
    expect(all.some((e: any) => e.reason === 'unknown_email')).toBe(false);

    await app.gql(`mutation { login(email: "${world.member.email}", password: "wrong password 123") { accessToken } }`);
    const login = await events({ action: 'auth.failed', actorId: world.member.id });
    expect(login.nodes.some((e: any) => e.reason === 'wrong_password')).toBe(true);
    expect(JSON.stringify(login)).not.toContain('wrong password 123');
  });

  test('OWNER and ADMIN only; another account sees none of it; bad filters are refused', async () => {
    for (const who of [world.member, world.readOnly]) expect((await app.fail(EVENTS, {}, who.session)).code).toBe('FORBIDDEN');
    expect((await app.fail(EVENTS, {})).code).toBe('UNAUTHENTICATED');
    expect((await app.ok(EVENTS, { first: 5 }, world.admin.session)).auditEvents.nodes).toHaveLength(5);
    const stranger = (await app.ok(EVENTS, { first: 100, filter: { actorId: world.member.id } }, world.stranger.session)).auditEvents;
    expect(stranger.totalCount).toBe(0);
    const strangerAll = (await app.ok(EVENTS, { first: 100 }, world.stranger.session)).auditEvents.nodes;
    const rows = await app.server.dataSource.getRepository(AuditEvent).findBy({ accountId: world.owner.accountId });
    const acme = new Set(rows.map((r) => r.id));
    expect(strangerAll.some((e: any) => acme.has(e.id))).toBe(false);
    expect((await app.fail(EVENTS, { filter: { actorId: 'nope' } }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(EVENTS, { first: 101 }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(EVENTS, { filter: { since: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z' } }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    const future = (await app.ok(EVENTS, { filter: { since: new Date(Date.now() + DAY).toISOString() } }, world.owner.session)).auditEvents;
    expect(future.totalCount).toBe(0);
    // Paging walks the whole trail once.
    const first = (await app.ok(EVENTS, { first: 3 }, world.owner.session)).auditEvents;
    const second = (await app.ok(EVENTS, { first: 3, after: first.pageInfo.endCursor }, world.owner.session)).auditEvents;
    expect(second.nodes[0].id < first.nodes[2].id).toBe(true);
  });
});

describe('ApiToken.usage', () => {
  test('counts per day, environment and client IP, written by the coalesced flush with a bounded number of statements', async () => {
    const t = await createToken(app, world.member, { name: 'used', environment: 'staging' });
    await app.server.usage.flush(); // what earlier tests left pending
    for (let i = 0; i < 3; i++) await app.ok(ME, {}, auth.apiKey(t.secret));
    const small = await countQueries(app, () => app.server.usage.flush());
    for (let i = 0; i < 12; i++) await app.ok(ME, {}, auth.apiKey(t.secret));
    const large = await countQueries(app, () => app.server.usage.flush());
    expect(large.statements).toBe(small.statements); // not one write per request

    let usage = (await app.ok(USAGE, { id: t.id }, world.member.session)).apiToken.usage;
    const today = new Date(clock.nowMs()).toISOString().slice(0, 10);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ date: today, environment: 'staging', requests: 15 });
    expect(usage[0].byIp).toHaveLength(1);
    expect(usage[0].byIp[0].requests).toBe(15);

    clock.advance(DAY);
    for (let i = 0; i < 2; i++) await app.ok(ME, {}, auth.apiKey(t.secret));
    await app.server.usage.flush();
    const member = await relogin(app, world.member);
    usage = (await app.ok(USAGE, { id: t.id, days: 7 }, member.session)).apiToken.usage;
    expect(usage.map((d: any) => [d.date, d.requests])).toEqual([
      [new Date(clock.nowMs()).toISOString().slice(0, 10), 2],
      [today, 15],
    ]);
    expect((await app.ok(USAGE, { id: t.id, days: 1 }, member.session)).apiToken.usage).toHaveLength(1);
    // The admin sees it, another account does not see the token at all.
    const owner = await relogin(app, world.owner);
    expect((await app.ok(USAGE, { id: t.id }, owner.session)).apiToken.usage).toHaveLength(2);
    const stranger = await relogin(app, world.stranger);
    expect((await app.ok(USAGE, { id: t.id }, stranger.session)).apiToken).toBeNull();
    expect((await app.fail(USAGE, { id: t.id, days: 0 }, member.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(USAGE, { id: t.id, days: 400 }, member.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(USAGE, { id: t.id })).code).toBe('UNAUTHENTICATED');

    // Retention: after USAGE_RETENTION_DAYS (90) the scheduler prunes the old days.
    clock.advance(90 * DAY);
    const pass = await app.server.scheduler.runOnce();
    expect(pass.usageRowsPruned).toBeGreaterThanOrEqual(1);
    const left = await app.server.dataSource.getRepository(ApiTokenUsage).findBy({ tokenId: t.id });
    expect(left.map((r) => r.requests)).toEqual([2]);
    clock.reset();
  });

  test('one flush of many distinct tokens: every count, last use and address lands, in a few multi-row statements', async () => {
    const template = await createToken(app, world.admin, { name: 'flush template' });
    const repo = app.server.dataSource.getRepository(ApiToken);
    const base = await repo.findOneByOrFail({ id: template.id });
    // More tokens than one UPDATE carries, written directly: creating them through the API would take minutes.
    const n = USES_PER_STATEMENT * 2 + 37;
    const ids: string[] = [];
    for (let i = 0; i < n; i += 200) {
      const rows = [];
      for (let j = i; j < Math.min(n, i + 200); j++) {
        const id = newId();
        ids.push(id);
        rows.push(repo.create({ ...base, id, name: `flush-${j}`, username: `f_${id}`, secretHash: `${j}`.padStart(64, 'f'), lastUsedAt: null, useCount: j % 3, lastUsedIps: [] }));
      }
      await repo.insert(rows);
    }
    await app.server.usage.flush(); // what earlier tests left pending
    const start = clock.nowMs();
    // Token j: j % 7 + 1 uses, the newest at start + j ms, from 10.0.x.y (two addresses for every fifth token).
    ids.forEach((id, j) => {
      for (let k = 0; k <= j % 7; k++) app.server.usage.record(id, start + j - k, `10.0.${j % 250}.${(j >> 8) + 1}`);
      if (j % 5 === 0) app.server.usage.record(id, start + j - 1, '192.0.2.9');
    });
    const { statements } = await countQueries(app, () => app.server.usage.flush());
    expect(app.server.usage.pendingTokens).toBe(0);
    // Reads and UPDATEs in chunks of USES_PER_STATEMENT, the daily history in chunks of 200: nowhere near one per token.
    expect(statements).toBeLessThan(40);

    const stored = new Map((await repo.find({ where: { id: In(ids) } })).map((t) => [t.id, t]));
    ids.forEach((id, j) => {
      const t = stored.get(id)!;
      expect([j, t.useCount]).toEqual([j, (j % 3) + (j % 7) + 1 + (j % 5 === 0 ? 1 : 0)]);
      expect([j, t.lastUsedAt?.getTime()]).toEqual([j, start + j]);
      expect([j, t.lastUsedIps]).toEqual([j, [...(j % 5 === 0 ? ['192.0.2.9'] : []), `10.0.${j % 250}.${(j >> 8) + 1}`]]); // newest first
    });
    const history = await app.server.dataSource.getRepository(ApiTokenUsage).find({ where: { tokenId: In(ids) } });
    expect(history.reduce((sum, r) => sum + r.requests, 0)).toBe(ids.reduce((sum, _id, j) => sum + (j % 7) + 1 + (j % 5 === 0 ? 1 : 0), 0));

    // A second flush adds to what the first wrote, and keeps the newer stored last use when the new one is older.
    app.server.usage.record(ids[0], start - 60_000, '10.9.9.9');
    app.server.usage.record(ids[1], start + 60_000, '10.9.9.9');
    await app.server.usage.flush();
    const [first, second] = [await repo.findOneByOrFail({ id: ids[0] }), await repo.findOneByOrFail({ id: ids[1] })];
    expect([first.useCount, first.lastUsedAt?.getTime(), first.lastUsedIps[0]]).toEqual([0 + 1 + 1 + 1, start, '10.9.9.9']);
    expect([second.useCount, second.lastUsedAt?.getTime()]).toEqual([1 + 2 + 1, start + 60_000]);
  });
});
