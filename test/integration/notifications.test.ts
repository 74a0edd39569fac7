import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World, Actor } from '../helpers/world';
import { DAY, REGENERATE, relogin, REVOKE, setPolicy } from '../helpers/api-tokens';
import { startSmtpServer, ReceivedMail } from '../helpers/smtp';
import { clock } from '../../src/common/clock';
import { ExpiryNotifier } from '../../src/modules/notification/expiry-notifier';
import { createMailer } from '../../src/modules/notification/mailer';
import { Notification } from '../../src/modules/notification/notification.entity';

/** Expiry notices: thresholds, recipients, idempotency, e-mail over real SMTP, in-app notifications and alerts. */
const NOTIFICATIONS = `query($unreadOnly: Boolean, $first: Int, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id kind thresholdDays tokenExpiresAt createdAt readAt token { id name } } } }`;
const MARK_READ = `mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }`;
const ALERTS = `{ apiTokenAlerts { expiringSoonCount expiredCount } }`;
const SETTINGS = `mutation($input: NotificationSettingsInput!) { updateNotificationSettings(input: $input) { email } }`;

let app: TestApp;
let world: World;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  app = await startTestApp({ SMTP_URL: smtp.url, SMTP_FROM: 'Tokengate <tokens@tokengate.test>' });
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(async () => {
  await app?.stop();
  await smtp?.stop();
});

const inDays = (d: number) => new Date(clock.nowMs() + d * DAY).toISOString();
const runOnce = () => app.server.scheduler.runOnce();

/** Every notification row for a token, as (recipient, threshold, kind). */
async function noticesFor(tokenId: string) {
  const rows = await app.server.dataSource.getRepository(Notification).find({ where: { tokenId } });
  return rows.map((r) => ({ userId: r.userId, thresholdDays: r.thresholdDays, kind: r.kind })).sort((a, b) => a.userId.localeCompare(b.userId) || b.thresholdDays - a.thresholdDays);
}
const expected = (users: Actor[], thresholdDays: number, kind = 'TOKEN_EXPIRING') =>
  users.map((u) => ({ userId: u.id, thresholdDays, kind })).sort((a, b) => a.userId.localeCompare(b.userId));
const mailsFor = (name: string): ReceivedMail[] => smtp.mails.filter((m) => m.data.includes(`"${name}"`));

async function fresh(): Promise<void> {
  for (const k of Object.keys(world) as Array<keyof World>) world[k] = await relogin(app, world[k]);
}

describe('expiry notices', () => {
  test('a token expiring in 10 days gets exactly the 10-day notices for owner, issuer and admins, and nothing more on a second run', async () => {
    const t = await createToken(app, world.admin, { ownerId: world.member.id, name: 'ten-days', expiresAt: inDays(10) });
    const first = await runOnce();
    expect(first.notices).toBeGreaterThanOrEqual(1);
    // member owns it, admin issued it, owner and admin administer the account; read-only gets nothing.
    expect(await noticesFor(t.id)).toEqual(expected([world.member, world.admin, world.owner], 10));

    const second = await runOnce();
    expect(second.notices).toBe(0);
    expect(await noticesFor(t.id)).toHaveLength(3);

    // Two replicas at once: the unique notice key lets exactly one through.
    const other = new ExpiryNotifier(app.server.dataSource, createMailer(undefined, 'x@y', app.server.logger), app.server.logger);
    clock.advance(5 * DAY);
    const [a, b] = await Promise.all([runOnce(), other.run()]);
    expect(a.notices + b.notices).toBe(1);
    expect(await noticesFor(t.id)).toEqual(
      [...expected([world.member, world.admin, world.owner], 10), ...expected([world.member, world.admin, world.owner], 5)].sort(
        (x, y) => x.userId.localeCompare(y.userId) || y.thresholdDays - x.thresholdDays,
      ),
    );

    clock.advance(4.5 * DAY); // half a day left
    await runOnce();
    clock.advance(DAY); // expired
    await runOnce();
    await runOnce();
    const all = await noticesFor(t.id);
    expect(all.filter((n) => n.userId === world.member.id)).toEqual([
      { userId: world.member.id, thresholdDays: 10, kind: 'TOKEN_EXPIRING' },
      { userId: world.member.id, thresholdDays: 5, kind: 'TOKEN_EXPIRING' },
      { userId: world.member.id, thresholdDays: 1, kind: 'TOKEN_EXPIRING' },
      { userId: world.member.id, thresholdDays: 0, kind: 'TOKEN_EXPIRED' },
    ]);
    expect(all).toHaveLength(12);
    expect(all.some((n) => n.userId === world.readOnly.id || n.userId === world.stranger.id)).toBe(false);
    clock.reset();
    await fresh();
  });

  test('when several thresholds are due at once only the nearest is sent, and the skipped ones never later', async () => {
    const t = await createToken(app, world.member, { name: 'four-days', expiresAt: inDays(4) });
    await runOnce();
    // The member owns and issued it: member, plus the owner and admin.
    expect(await noticesFor(t.id)).toEqual(expected([world.member, world.owner, world.admin], 5));
    clock.advance(2 * DAY);
    await runOnce();
    expect((await noticesFor(t.id)).map((n) => n.thresholdDays)).toEqual([5, 5, 5]);
    clock.reset();
    await fresh();
  });

  test('regenerating with a new expiry stops notices for the old one; revoking stops them all', async () => {
    const t = await createToken(app, world.member, { name: 'regen', expiresAt: inDays(9) });
    await runOnce();
    expect(new Set((await noticesFor(t.id)).map((n) => n.thresholdDays))).toEqual(new Set([10]));
    await app.ok(REGENERATE, { id: t.id, expiresAt: inDays(40) }, world.member.session);
    clock.advance(5 * DAY); // the old expiry would now be due at 5 days; the new one is 35 days away
    await runOnce();
    expect((await noticesFor(t.id)).map((n) => n.thresholdDays)).toEqual([10, 10, 10]);
    clock.reset();
    await fresh();

    const r = await createToken(app, world.member, { name: 'revoked-early', expiresAt: inDays(20) });
    await app.ok(REVOKE, { id: r.id }, world.member.session);
    clock.advance(15 * DAY);
    await runOnce();
    expect(await noticesFor(r.id)).toEqual([]);
    clock.reset();
    await fresh();
  });

  test('thresholds come from the account policy', async () => {
    const other = world.stranger;
    await setPolicy(app, other, { expiryNotificationDays: [3] });
    const t = await createToken(app, other, { name: 'custom', expiresAt: inDays(10) });
    await runOnce();
    expect(await noticesFor(t.id)).toEqual([]);
    clock.advance(7.5 * DAY);
    await runOnce();
    expect(await noticesFor(t.id)).toEqual(expected([other], 3));
    clock.reset();
    await fresh();
  });
});

describe('e-mail', () => {
  test('goes through SMTP to everyone who keeps e-mail on, without any secret', async () => {
    expect((await app.ok(SETTINGS, { input: { email: false } }, world.admin.session)).updateNotificationSettings).toEqual({ email: false });
    const t = await createToken(app, world.member, { name: 'mailed', expiresAt: inDays(10) });
    const result = await runOnce();
    expect(result.emails).toBeGreaterThanOrEqual(2);
    const mails = mailsFor('mailed');
    expect(mails.map((m) => m.to[0]).sort()).toEqual([world.member.email, world.owner.email].sort());
    for (const m of mails) {
      expect(m.from).toBe('tokens@tokengate.test');
      expect(m.data).toMatch(/Subject: =\?UTF-8\?Q\?API_token_=22mailed=22_expires_in_10_day/);
      expect(m.data).toContain('Hello ');
      // Only the non-secret hint appears (quoted-printable may fold lines, so look for a middle piece too).
      expect(m.data).not.toContain(t.secret);
      expect(m.data).not.toContain(t.secret.slice(10, 30));
    }
    // The admin still gets the in-app notice.
    expect((await noticesFor(t.id)).map((n) => n.userId)).toContain(world.admin.id);
    // Nothing is sent twice.
    await runOnce();
    expect(mailsFor('mailed')).toHaveLength(2);
    await app.ok(SETTINGS, { input: { email: true } }, world.admin.session);
  });

  test('updateNotificationSettings: anonymous, read-only token and null input are refused', async () => {
    expect((await app.fail(SETTINGS, { input: { email: false } })).code).toBe('UNAUTHENTICATED');
    const ro = await createToken(app, world.member, { name: 'ro-settings', role: 'READ_ONLY' });
    expect((await app.fail(SETTINGS, { input: { email: false } }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    expect((await app.fail(SETTINGS, { input: { email: null } }, world.member.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.ok(`{ notificationSettings { email } }`, {}, world.member.session)).notificationSettings).toEqual({ email: true });
  });
});

describe('notifications and markNotificationsRead', () => {
  test('each user sees only their own; another account sees nothing', async () => {
    const t = await createToken(app, world.member, { name: 'inbox', expiresAt: inDays(10) });
    await runOnce();
    const mine = (await app.ok(NOTIFICATIONS, { unreadOnly: true, first: 100 }, world.member.session)).notifications;
    const forInbox = mine.nodes.filter((n: any) => n.token?.id === t.id);
    expect(forInbox).toEqual([expect.objectContaining({ kind: 'TOKEN_EXPIRING', thresholdDays: 10, readAt: null, token: { id: t.id, name: 'inbox' } })]);
    const ownRows = await app.server.dataSource.getRepository(Notification).countBy({ userId: world.member.id });
    expect(mine.totalCount).toBe(ownRows);

    const readOnly = (await app.ok(NOTIFICATIONS, {}, world.readOnly.session)).notifications;
    expect(readOnly.totalCount).toBe(0);
    const stranger = (await app.ok(NOTIFICATIONS, { first: 100 }, world.stranger.session)).notifications;
    expect(stranger.nodes.some((n: any) => n.token?.id === t.id)).toBe(false);

    // Another user's id is ignored, not marked.
    const ownerInbox = (await app.ok(NOTIFICATIONS, { first: 100 }, world.owner.session)).notifications.nodes.find((n: any) => n.token?.id === t.id);
    expect((await app.ok(MARK_READ, { ids: [ownerInbox.id] }, world.member.session)).markNotificationsRead).toBe(0);
    expect((await app.ok(MARK_READ, { ids: [ownerInbox.id] }, world.stranger.session)).markNotificationsRead).toBe(0);
    expect((await app.ok(MARK_READ, { ids: [forInbox[0].id] }, world.member.session)).markNotificationsRead).toBe(1);
    expect((await app.ok(MARK_READ, { ids: [forInbox[0].id] }, world.member.session)).markNotificationsRead).toBe(0);
    const unread = (await app.ok(NOTIFICATIONS, { unreadOnly: true, first: 100 }, world.member.session)).notifications;
    expect(unread.nodes.some((n: any) => n.id === forInbox[0].id)).toBe(false);
    const ownerStill = (await app.ok(NOTIFICATIONS, { unreadOnly: true, first: 100 }, world.owner.session)).notifications;
    expect(ownerStill.nodes.some((n: any) => n.id === ownerInbox.id)).toBe(true);
  });

  test('pagination, bad input, anonymous and read-only tokens', async () => {
    const page = (await app.ok(NOTIFICATIONS, { first: 1 }, world.owner.session)).notifications;
    expect(page.nodes).toHaveLength(1);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = (await app.ok(NOTIFICATIONS, { first: 1, after: page.pageInfo.endCursor }, world.owner.session)).notifications;
    expect(next.nodes[0].id < page.nodes[0].id).toBe(true);
    expect((await app.fail(NOTIFICATIONS, { first: 101 }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(NOTIFICATIONS, { after: 'garbage' }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(NOTIFICATIONS, {})).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(MARK_READ, { ids: [] }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(MARK_READ, { ids: ['not-an-id'] }, world.owner.session)).code).toBe('BAD_USER_INPUT');
    expect((await app.fail(MARK_READ, { ids: [page.nodes[0].id] })).code).toBe('UNAUTHENTICATED');
    const ro = await createToken(app, world.owner, { name: 'ro-mark', role: 'READ_ONLY' });
    expect((await app.fail(MARK_READ, { ids: [page.nodes[0].id] }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    // A read-only token may still read.
    expect((await app.ok(NOTIFICATIONS, { first: 1 }, auth.apiKey(ro.secret))).notifications.nodes).toHaveLength(1);
  });
});

describe('apiTokenAlerts', () => {
  test("counts only the caller's visible tokens; another account sees none of them", async () => {
    const before = {
      member: (await app.ok(ALERTS, {}, world.member.session)).apiTokenAlerts,
      owner: (await app.ok(ALERTS, {}, world.owner.session)).apiTokenAlerts,
      readOnly: (await app.ok(ALERTS, {}, world.readOnly.session)).apiTokenAlerts,
      stranger: (await app.ok(ALERTS, {}, world.stranger.session)).apiTokenAlerts,
    };
    await createToken(app, world.member, { name: 'alert-soon', expiresAt: inDays(3) });
    await createToken(app, world.member, { name: 'alert-later', expiresAt: inDays(30) });
    await createToken(app, world.member, { name: 'alert-short', expiresAt: new Date(clock.nowMs() + 60_000).toISOString() });
    clock.advance(2 * 60_000); // alert-short has expired
    const member = (await app.ok(ALERTS, {}, await relogin(app, world.member).then((a) => a.session))).apiTokenAlerts;
    expect(member).toEqual({ expiringSoonCount: before.member.expiringSoonCount + 1, expiredCount: before.member.expiredCount + 1 });
    const owner = (await app.ok(ALERTS, {}, (await relogin(app, world.owner)).session)).apiTokenAlerts;
    expect(owner).toEqual({ expiringSoonCount: before.owner.expiringSoonCount + 1, expiredCount: before.owner.expiredCount + 1 });
    expect((await app.ok(ALERTS, {}, (await relogin(app, world.readOnly)).session)).apiTokenAlerts).toEqual(before.readOnly);
    expect((await app.ok(ALERTS, {}, (await relogin(app, world.stranger)).session)).apiTokenAlerts).toEqual(before.stranger);
    expect((await app.fail(ALERTS, {})).code).toBe('UNAUTHENTICATED');
    clock.reset();
  });
});
