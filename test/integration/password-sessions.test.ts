import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { TestApp } from '../helpers/app';
import { POLICIES } from '../../src/modules/throttle/throttle.service';
import { addUser, auth, createToken, createWorld, LOGIN, PASSWORD, World } from '../helpers/world';

/**
 * The profile screen's API: changePassword, sessions, revokeSession, revokeOtherSessions.
 * Directly on the tokens service, and through the gateway where it can reach them.
 */
let sg: Supergraph;
let app: TestApp;
let world: World;
beforeAll(async () => {
  sg = await startSupergraph();
  app = sg.app;
  world = await createWorld(app);
});
afterAll(() => sg?.stop());

const CHANGE = 'mutation($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }';
const SESSIONS = '{ sessions { id createdAt lastActiveAt ip userAgent current } }';
const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';
const REVOKE_OTHERS = 'mutation { revokeOtherSessions }';
const REFRESH = 'mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { accessToken refreshToken } }';
const ME = '{ me { id } }';
const NEW_PASSWORD = 'a brand new passphrase 2';
const AUDIT = `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 50) { nodes { action actorId targetId targetType reason details } } }`;

async function login(email: string, password = PASSWORD, userAgent?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (userAgent) headers['user-agent'] = userAgent;
  const res = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query: LOGIN, variables: { email, password } }) });
  const body = (await res.json()) as { data?: { login: { accessToken: string; refreshToken: string } }; errors?: unknown[] };
  if (!body.data?.login) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  return { session: auth.bearer(body.data.login.accessToken), refreshToken: body.data.login.refreshToken };
}
async function expectSignedOut(session: string) {
  const res = await app.gql(ME, {}, session);
  expect(res.status).toBe(401);
  expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
}
const sessionIds = async (session: string) => (await app.ok(SESSIONS, {}, session)).sessions as Array<{ id: string; current: boolean }>;

describe('changePassword', () => {
  test('changes the password, ends every other session at once, keeps this one and the API tokens, and is audited', async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'changer');
    const here = await login(user.email, PASSWORD, 'Console/1.0');
    const elsewhere = await login(user.email, PASSWORD, 'Laptop/2.0');
    const token = await createToken(app, here.session, { name: 'keeps-working' });

    expect((await app.ok(CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, here.session)).changePassword).toBe(true);

    await expectSignedOut(elsewhere.session);
    expect((await app.fail(REFRESH, { refreshToken: elsewhere.refreshToken })).code).toBe('UNAUTHENTICATED');
    await expectSignedOut(user.session); // the session addUser opened ended too
    expect((await app.ok(ME, {}, here.session)).me.id).toBe(user.id);
    expect((await app.ok(ME, {}, auth.apiKey(token.secret))).me.id).toBe(user.id);
    expect((await app.fail(LOGIN, { email: user.email, password: PASSWORD })).code).toBe('UNAUTHENTICATED');
    await login(user.email, NEW_PASSWORD);

    const events = (await app.ok(AUDIT, { filter: { targetId: user.id, action: 'user.password_changed' } }, world.owner.session)).auditEvents.nodes;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: user.id, targetType: 'user' });
    expect(JSON.parse(events[0].details)).toEqual({ otherSessionsEnded: 2 });
    const ended = (await app.ok(AUDIT, { filter: { actorId: user.id, action: 'session.ended' } }, world.owner.session)).auditEvents.nodes;
    expect(ended.filter((e: { reason: string }) => e.reason === 'password_changed')).toHaveLength(2);
  });

  test('bad input: empty current password, a new password that is too short or unchanged — nothing changes', async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'badinput');
    const cases: Array<[Record<string, string>, string]> = [
      [{ currentPassword: '', newPassword: NEW_PASSWORD }, 'currentPassword'],
      [{ currentPassword: PASSWORD, newPassword: 'short' }, 'newPassword'],
      [{ currentPassword: PASSWORD, newPassword: 'x'.repeat(73) }, 'newPassword'],
      [{ currentPassword: PASSWORD, newPassword: PASSWORD }, 'newPassword'],
    ];
    for (const [variables, field] of cases) {
      const res = await app.gql(CHANGE, variables, user.session);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.field).toBe(field);
      expect(res.errors?.[0].message).toContain(field);
      expect(res.raw).not.toContain(variables.newPassword.length > 5 && variables.newPassword !== PASSWORD ? variables.newPassword : '\u0000');
    }
    await login(user.email, PASSWORD);
    expect((await app.ok(ME, {}, user.session)).me.id).toBe(user.id);
  });

  test('a wrong current password is refused, audited and counted like a failed sign-in: past five, it locks', async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'guesser');
    // Sign-in's policy: five free failures per address; the sixth locks it (1 s, then doubling).
    for (let i = 0; i <= POLICIES.loginPerAccount.freeFailures; i++) {
      const e = await app.fail(CHANGE, { currentPassword: `wrong guess number ${i}`, newPassword: NEW_PASSWORD }, user.session);
      expect(e.code).toBe('BAD_USER_INPUT');
      expect(e.message).toBe('currentPassword: is not your current password');
    }
    // Locked: even the right password is refused now, and so is signing in with this address.
    expect((await app.fail(CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, user.session)).code).toBe('RATE_LIMITED');
    expect((await app.fail(LOGIN, { email: user.email, password: PASSWORD })).code).toBe('RATE_LIMITED');
    const failures = (await app.ok(AUDIT, { filter: { actorId: user.id, action: 'auth.failed' } }, world.owner.session)).auditEvents.nodes;
    expect(failures.filter((e: { reason: string }) => e.reason === 'wrong_current_password')).toHaveLength(POLICIES.loginPerAccount.freeFailures + 1);
    expect((await app.ok(ME, {}, user.session)).me.id).toBe(user.id); // the session itself is untouched
  });

  test('two concurrent changes from the same current password: exactly one applies', async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'racer');
    const [a, b] = await Promise.all([
      app.gql(CHANGE, { currentPassword: PASSWORD, newPassword: 'first racing passphrase' }, user.session),
      app.gql(CHANGE, { currentPassword: PASSWORD, newPassword: 'second racing passphrase' }, user.session),
    ]);
    const results = [a, b];
    const winners = results.filter((r) => r.data?.changePassword === true);
    expect(winners).toHaveLength(1);
    const loser = results.find((r) => r !== winners[0])!;
    expect(['CONFLICT', 'BAD_USER_INPUT']).toContain(loser.errors?.[0].extensions?.code);
    const winning = winners[0] === a ? 'first racing passphrase' : 'second racing passphrase';
    const losing = winners[0] === a ? 'second racing passphrase' : 'first racing passphrase';
    await login(user.email, winning);
    expect((await app.fail(LOGIN, { email: user.email, password: losing })).code).toBe('UNAUTHENTICATED');
  });

  test('unauthenticated: refused with UNAUTHENTICATED', async () => {
    expect((await app.fail(CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).code).toBe('UNAUTHENTICATED');
  });

  test('forbidden with an API token, whatever its role: only a signed-in person changes a password', async () => {
    const member = await createToken(app, world.member, { name: 'pw-member' });
    const readOnly = await createToken(app, world.member, { name: 'pw-ro', role: 'READ_ONLY' });
    for (const t of [member, readOnly]) {
      const e = await app.fail(CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, auth.apiKey(t.secret));
      expect(e.code).toBe('FORBIDDEN');
    }
    await login(world.member.email, PASSWORD);
  });

  test('through the gateway: a session changes its password; the identity names the session, so it stays and the others end', async () => {
    const gw = await sg.startGateway('pw', { mode: 'filter' });
    const user = await addUser(app, world.owner, 'MEMBER', 'viagateway');
    const other = await login(user.email, PASSWORD, 'Another browser');
    const res = await sg.gql(gw, CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, user.session);
    expect(res.errors).toBeUndefined();
    expect(res.data?.changePassword).toBe(true);
    await expectSignedOut(other.session);
    expect((await app.ok('{ me { id } }', {}, user.session)).me.id).toBe(user.id);
    await login(user.email, NEW_PASSWORD);
    const token = await createToken(app, world.owner, { name: 'gw-pw' });
    const refused = await sg.gql(gw, CHANGE, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, auth.apiKey(token.secret));
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('sessions, revokeSession, revokeOtherSessions', () => {
  test("lists the caller's live sessions only, newest first, marking the current one, with address and client", async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'lister');
    const a = await login(user.email, PASSWORD, 'Browser A');
    const b = await login(user.email, PASSWORD, 'Browser B');
    const list = (await app.ok(SESSIONS, {}, b.session)).sessions;
    expect(list).toHaveLength(3); // addUser's, a's, b's
    expect(list[0]).toMatchObject({ current: true, userAgent: 'Browser B' });
    expect(list[1]).toMatchObject({ current: false, userAgent: 'Browser A' });
    expect(list[0].ip).toBeTruthy();
    expect(list.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    // Ended sessions are not listed; nor are other users'.
    await app.ok('mutation($r: String!) { logout(refreshToken: $r) }', { r: a.refreshToken });
    const after = (await app.ok(SESSIONS, {}, b.session)).sessions;
    expect(after.map((s: { id: string }) => s.id)).not.toContain(list[1].id);
    expect(after).toHaveLength(2);
    const owners = await sessionIds(world.owner.session);
    for (const s of owners) expect(after.map((x: { id: string }) => x.id)).not.toContain(s.id);
  });

  test('revokeSession ends one session at once; revokeOtherSessions ends all but the current one', async () => {
    const user = await addUser(app, world.owner, 'MEMBER', 'revoker');
    const a = await login(user.email);
    const b = await login(user.email);
    const c = await login(user.email);
    const list = await sessionIds(c.session);
    const idOfA = list[2].id;
    expect((await app.ok(REVOKE, { id: idOfA }, c.session)).revokeSession).toBe(idOfA);
    await expectSignedOut(a.session);
    expect((await app.ok(ME, {}, b.session)).me.id).toBe(user.id);
    expect((await app.ok(REVOKE_OTHERS, {}, c.session)).revokeOtherSessions).toBe(2); // b and addUser's
    await expectSignedOut(b.session);
    await expectSignedOut(user.session);
    expect((await app.ok(ME, {}, c.session)).me.id).toBe(user.id);
    expect(await sessionIds(c.session)).toHaveLength(1);
    expect((await app.ok(REVOKE_OTHERS, {}, c.session)).revokeOtherSessions).toBe(0);
    // Revoking an ended session again: not found.
    expect((await app.fail(REVOKE, { id: idOfA }, c.session)).code).toBe('NOT_FOUND');
  });

  test('bad input: a malformed id is BAD_USER_INPUT naming id', async () => {
    const e = await app.fail(REVOKE, { id: 'not-an-id' }, world.member.session);
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message).toBe('id: is not an id');
  });

  test('unauthenticated: all three refused', async () => {
    expect((await app.fail(SESSIONS)).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(REVOKE, { id: '01900000-0000-7000-8000-000000000000' })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(REVOKE_OTHERS)).code).toBe('UNAUTHENTICATED');
  });

  test('forbidden: a READ_ONLY API token may list but not end sessions', async () => {
    const ro = await createToken(app, world.member, { name: 'sess-ro', role: 'READ_ONLY' });
    const mine = await sessionIds(world.member.session);
    expect((await app.ok(SESSIONS, {}, auth.apiKey(ro.secret))).sessions.every((s: { current: boolean }) => !s.current)).toBe(true);
    expect((await app.fail(REVOKE, { id: mine[0].id }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    expect((await app.fail(REVOKE_OTHERS, {}, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');
    expect((await app.ok(ME, {}, world.member.session)).me.id).toBe(world.member.id);
  });

  test("another user's session, in the same account or another, looks absent: NOT_FOUND and it keeps working", async () => {
    const strangers = await sessionIds(world.stranger.session);
    const members = await sessionIds(world.member.session);
    for (const id of [strangers[0].id, members[0].id]) {
      expect((await app.fail(REVOKE, { id }, world.owner.session)).code).toBe('NOT_FOUND');
    }
    expect((await app.ok(ME, {}, world.stranger.session)).me.id).toBe(world.stranger.id);
    expect((await app.ok(ME, {}, world.member.session)).me.id).toBe(world.member.id);
    expect((await app.ok(REVOKE_OTHERS, {}, world.stranger.session)).revokeOtherSessions).toBe(0);
    expect((await app.ok(ME, {}, world.owner.session)).me.id).toBe(world.owner.id);
  });

  test('through the gateway: listed and ended with a session', async () => {
    const gw = await sg.startGateway('sessions', { mode: 'filter' });
    const user = await addUser(app, world.owner, 'MEMBER', 'gwsessions');
    const other = await login(user.email);
    const listed = await sg.gql(gw, SESSIONS, {}, user.session);
    expect(listed.errors).toBeUndefined();
    expect(listed.data?.sessions).toHaveLength(2);
    const otherId = listed.data!.sessions[0].id; // newest first: the second login
    const ended = await sg.gql(gw, REVOKE, { id: otherId }, user.session);
    expect(ended.data?.revokeSession).toBe(otherId);
    await expectSignedOut(other.session);
    expect((await app.ok(ME, {}, user.session)).me.id).toBe(user.id);
    const stranger = await sg.gql(gw, REVOKE, { id: (await sessionIds(world.stranger.session))[0].id }, user.session);
    expect(stranger.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
