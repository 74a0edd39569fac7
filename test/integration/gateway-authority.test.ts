import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { parseIdentityKey } from '../../src/auth/identity-keys';
import { digestSecret, secretFingerprint } from '../../src/auth/token-format';
import { clock } from '../../src/common/clock';
import { Role } from '../../src/common/roles';
import { lockAccount } from '../../src/db/locks';
import type { RunningGateway } from '../../src/gateway/gateway';
import { ApiToken, TokenStatus } from '../../src/modules/api-token/api-token.entity';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { User, UserStatus } from '../../src/modules/user/user.entity';
import { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../../src/subgraph-kit';
import type { GqlResponse } from '../helpers/app';
import { GATEWAY_SECRET, IDENTITY_KEY_PEM, post, startSupergraph, Supergraph } from '../helpers/supergraph';
import { Actor, addUser, auth, CREATE_TOKEN, createToken, CreatedToken, createWorld, World } from '../helpers/world';

/*
 * Issue #11, High: "a deactivated, demoted admin can undo it through the gateway".
 * The gateway caches a verdict for GATEWAY_AUTH_CACHE_TTL_MS; the tokens service
 * must treat the identity it signs as a statement of who, and decide what the
 * caller may do now itself. The gateways here cache for a minute, so every
 * refusal below comes from the tokens service, not from the gateway.
 */

const LONG_TTL_MS = 60_000;
const INVALID_TOKEN = 'Invalid, expired or revoked API token';
const INVALID_SESSION = 'Invalid or expired session; log in again';
const ME = '{ me { id status role } }';
const REVOKE = 'mutation($id: ID!) { revokeApiToken(id: $id) { status } }';
const UPDATE_ROLE = 'mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { role } }';
const DEACTIVATE = 'mutation($id: ID!) { deactivateUser(id: $id) { status } }';
/** What the rogue sends: undo everything and mint a way back in. */
const ATTACK = `mutation($id: ID!, $name: String!) {
  reactivateUser(id: $id) { status }
  updateUserRole(id: $id, role: ADMIN) { role }
  createApiToken(input: { name: $name, role: ADMIN }) { secret token { id } }
}`;
/** What the OWNER sends, directly, in one request. */
const TAKE_DOWN = `mutation($token: ID!, $user: ID!) {
  revokeApiToken(id: $token) { status }
  updateUserRole(id: $user, role: READ_ONLY) { role }
  deactivateUser(id: $user) { status }
}`;

const codes = (res: GqlResponse) => (res.errors ?? []).map((e) => e.extensions?.code);
const sidOf = (session: string) => JSON.parse(Buffer.from(session.split('.')[1], 'base64url').toString()).sid as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function signIdentity(claims: Record<string, unknown>): Promise<string> {
  const keys = parseIdentityKey(IDENTITY_KEY_PEM);
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT(claims as never)
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
    .setIssuer('tokengate-gateway')
    .setAudience('tokens')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .sign(keys.privateKey);
}

describe('the tokens service decides what a gateway identity may do now (issue #11)', () => {
  let sg: Supergraph;
  let world: World;
  let seq = 0;
  const gateways: Record<'inProcessSeparate' | 'introspection', RunningGateway> = {} as never;

  beforeAll(async () => {
    sg = await startSupergraph();
    world = await createWorld(sg.app);
    // The race mints tokens while the rogue is still ADMIN: room for them under the active-token limit.
    await sg.app.ok('mutation { updateAccountPolicy(input: { maxActiveTokens: 1000 }) { maxActiveTokens } }', {}, world.owner.session);
    gateways.inProcessSeparate = await sg.startGateway('in-process (own process)', { via: 'inProcessSeparate', ttlMs: LONG_TTL_MS });
    gateways.introspection = await sg.startGateway('introspection', { via: 'introspection', ttlMs: LONG_TTL_MS });
  });
  afterEach(async () => {
    clock.reset();
    await forgetThrottle(); // no test inherits another's refusals from 127.0.0.1
  });
  afterAll(() => sg?.stop());

  const forgetThrottle = () => sg.app.server.dataSource.createQueryBuilder().delete().from(Throttle).execute();

  /** A fresh ADMIN with a session and an ADMIN token: each test spoils its own. */
  async function rogueAdmin(): Promise<{ rogue: Actor; token: CreatedToken }> {
    const rogue = await addUser(sg.app, world.owner, 'ADMIN', `rogue-${++seq}`);
    const token = await createToken(sg.app, rogue, { role: 'ADMIN', name: `rogue-key-${seq}` });
    return { rogue, token };
  }

  const userState = async (id: string) => {
    const data = await sg.app.ok('{ users(first: 100) { nodes { id role status } } }', {}, world.owner.session);
    return data.users.nodes.find((u: { id: string }) => u.id === id);
  };

  const authFailures = async (actorId: string) => {
    const data = await sg.app.ok(
      'query($a: ID!) { auditEvents(filter: { action: "auth.failed", actorId: $a }, first: 100) { nodes { reason actorTokenId } } }',
      { a: actorId },
      world.owner.session,
    );
    return data.auditEvents.nodes as Array<{ reason: string; actorTokenId: string | null }>;
  };

  describe.each(['inProcessSeparate', 'introspection'] as const)('through a gateway authenticating %s, with a long auth cache', (mode) => {
    const gw = () => gateways[mode];

    test('a revoked token: the gateway still passes it (other subgraphs get the cached identity), the tokens service refuses it like a direct request, audited', async () => {
      const { rogue, token } = await rogueAdmin();
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(token.secret))).data.me).toEqual({ id: rogue.id, status: 'ACTIVE', role: 'ADMIN' });
      await sg.app.ok(REVOKE, { id: token.id }, world.owner.session);
      // The gateway's cache still holds its verdict: the inventory subgraph gets an identity.
      const inv = await sg.gql(gw(), '{ inventoryViewer { userId } }', {}, auth.apiKey(token.secret));
      expect(inv.data.inventoryViewer.userId).toBe(rogue.id);
      // The tokens service does not take it.
      const me = await sg.gql(gw(), ME, {}, auth.apiKey(token.secret));
      expect(codes(me)).toEqual(['UNAUTHENTICATED']);
      expect(me.errors![0].message).toBe(INVALID_TOKEN);
      expect(me.data?.me ?? null).toBeNull();
      const direct = await sg.app.gql(ME, {}, auth.apiKey(token.secret));
      expect(direct.errors![0].message).toBe(me.errors![0].message);
      const mint = await sg.gql(gw(), CREATE_TOKEN, { input: { name: 'after-revoke', role: 'ADMIN' } }, auth.apiKey(token.secret));
      expect(codes(mint)).toEqual(['UNAUTHENTICATED']);
      expect(await authFailures(rogue.id)).toEqual(expect.arrayContaining([{ reason: 'gateway:revoked_token', actorTokenId: token.id }]));
    });

    test('a deactivated user: neither their token nor their session acts through the gateway', async () => {
      const { rogue, token } = await rogueAdmin();
      for (const a of [auth.apiKey(token.secret), rogue.session]) expect((await sg.gql(gw(), ME, {}, a)).data.me.status).toBe('ACTIVE');
      await sg.app.ok(DEACTIVATE, { id: rogue.id }, world.owner.session);
      const viaToken = await sg.gql(gw(), ME, {}, auth.apiKey(token.secret));
      expect(codes(viaToken)).toEqual(['UNAUTHENTICATED']);
      expect(viaToken.errors![0].message).toBe(INVALID_TOKEN);
      const viaSession = await sg.gql(gw(), 'mutation($id: ID!) { reactivateUser(id: $id) { status } }', { id: rogue.id }, rogue.session);
      expect(codes(viaSession)).toEqual(['UNAUTHENTICATED']);
      expect(viaSession.errors![0].message).toBe(INVALID_SESSION);
      expect(await userState(rogue.id)).toMatchObject({ status: 'DEACTIVATED' });
      const reasons = (await authFailures(rogue.id)).map((f) => f.reason);
      expect(reasons).toEqual(expect.arrayContaining(['gateway:owner_deactivated', 'gateway:session_ended']));
    });

    test("a demoted user acts with their current role, not the identity's: admin fields and mutations are FORBIDDEN", async () => {
      const { rogue, token } = await rogueAdmin();
      for (const a of [auth.apiKey(token.secret), rogue.session]) expect((await sg.gql(gw(), '{ webhooks { id } }', {}, a)).errors).toBeUndefined();
      await sg.app.ok(UPDATE_ROLE, { id: rogue.id, role: 'READ_ONLY' }, world.owner.session);
      for (const a of [auth.apiKey(token.secret), rogue.session]) {
        const hooks = await sg.gql(gw(), '{ webhooks { id } }', {}, a);
        expect(codes(hooks)).toEqual(['FORBIDDEN']);
        const up = await sg.gql(gw(), UPDATE_ROLE, { id: rogue.id, role: 'ADMIN' }, a);
        expect(codes(up)).toEqual(['FORBIDDEN']);
        const mint = await sg.gql(gw(), CREATE_TOKEN, { input: { name: `demoted-${mode}-${a.length}`, role: 'ADMIN' } }, a);
        expect(codes(mint)).toEqual(['FORBIDDEN']);
      }
      expect(await userState(rogue.id)).toMatchObject({ role: 'READ_ONLY', status: 'ACTIVE' });
    });

    test('an ended session (logout) is refused', async () => {
      const { rogue } = await rogueAdmin();
      expect((await sg.gql(gw(), ME, {}, rogue.session)).data.me.id).toBe(rogue.id);
      await sg.app.ok('mutation($r: String!) { logout(refreshToken: $r) }', { r: rogue.refreshToken });
      const res = await sg.gql(gw(), ME, {}, rogue.session);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.errors![0].message).toBe(INVALID_SESSION);
    });

    test("an expired token is refused once the service's clock passes its expiry, whatever the gateway cached", async () => {
      const t = await createToken(sg.app, world.member, { name: `expiring-${mode}`, expiresAt: new Date(Date.now() + 60 * 60_000).toISOString() });
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(t.secret))).data.me.id).toBe(world.member.id);
      clock.advance(2 * 60 * 60_000); // the gateway's cache runs on the wall clock: it still holds the verdict
      const res = await sg.gql(gw(), ME, {}, auth.apiKey(t.secret));
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.errors![0].message).toBe(INVALID_TOKEN);
    });

    test('a regenerated secret stops at once, or when its grace period ends', async () => {
      const REGENERATE = 'mutation($id: ID!, $g: Int) { regenerateApiToken(id: $id, gracePeriodSeconds: $g) { secret } }';
      const t = await createToken(sg.app, world.member, { name: `regen-${mode}` });
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(t.secret))).data.me.id).toBe(world.member.id);
      const next = (await sg.app.ok(REGENERATE, { id: t.id }, world.member.session)).regenerateApiToken.secret;
      expect(codes(await sg.gql(gw(), ME, {}, auth.apiKey(t.secret)))).toEqual(['UNAUTHENTICATED']);
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(next))).data.me.id).toBe(world.member.id);
      // With a grace period the old secret keeps working until it ends.
      await sg.app.ok(REGENERATE, { id: t.id, g: 600 }, world.member.session);
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(next))).data.me.id).toBe(world.member.id);
      clock.advance(11 * 60_000);
      expect(codes(await sg.gql(gw(), ME, {}, auth.apiKey(next)))).toEqual(['UNAUTHENTICATED']);
    });

    test('the race: a rogue ADMIN keeps undoing through the gateway while the OWNER revokes, demotes and deactivates them directly', async () => {
      const { rogue, token } = await rogueAdmin();
      expect((await sg.gql(gw(), ME, {}, auth.apiKey(token.secret))).data.me).toEqual({ id: rogue.id, status: 'ACTIVE', role: 'ADMIN' });
      type Shot = { sentAt: number; doneAt: number; res: GqlResponse };
      const shots: Shot[] = [];
      let stop = false;
      let n = 0;
      const attacker = async () => {
        while (!stop) {
          const sentAt = performance.now();
          const res = await sg.gql(gw(), ATTACK, { id: rogue.id, name: `way-back-${mode}-${++n}` }, auth.apiKey(token.secret));
          shots.push({ sentAt, doneAt: performance.now(), res });
        }
      };
      const attackers = [attacker(), attacker(), attacker()];
      await sleep(150);
      const changeSentAt = performance.now();
      const takeDown = await sg.app.gql(TAKE_DOWN, { token: token.id, user: rogue.id }, world.owner.session);
      const changedAt = performance.now();
      // Keep attacking until several attacks sent after the change have been answered (the machine may be slow).
      const deadline = changedAt + 15_000;
      while (shots.filter((s) => s.sentAt > changedAt).length < 6 && performance.now() < deadline) await sleep(20);
      stop = true;
      await Promise.all(attackers);

      expect(takeDown.errors).toBeUndefined();
      expect(takeDown.data).toEqual({ revokeApiToken: { status: 'REVOKED' }, updateUserRole: { role: 'READ_ONLY' }, deactivateUser: { status: 'DEACTIVATED' } });
      // It was a race: attacks were in flight while the change was made, and kept coming after it.
      expect(shots.some((s) => s.sentAt < changeSentAt && s.doneAt > changeSentAt)).toBe(true);
      const after = shots.filter((s) => s.sentAt > changedAt);
      expect(after.length).toBeGreaterThanOrEqual(6);
      for (const { res } of after) {
        expect(res.data?.reactivateUser ?? null).toBeNull();
        expect(res.data?.updateUserRole ?? null).toBeNull();
        expect(res.data?.createApiToken ?? null).toBeNull();
        expect(codes(res).every((c) => c === 'UNAUTHENTICATED' || c === 'FORBIDDEN')).toBe(true);
      }
      expect(await userState(rogue.id)).toEqual({ id: rogue.id, role: 'READ_ONLY', status: 'DEACTIVATED' });
      // Nothing the rogue did committed after the revocation: every change of theirs comes before it.
      const audit = sg.app.server.dataSource.getRepository(AuditEvent);
      const revoked = (await audit.findOneByOrFail({ action: 'token.revoked', targetId: token.id })).id;
      const events = await audit.findBy({ actorId: rogue.id });
      for (const e of events.filter((x) => x.action !== 'auth.failed')) expect([e.action, e.id < revoked]).toEqual([e.action, true]);
      // Tokens minted before the take-down (the rogue was still ADMIN then) are dead with their owner.
      for (const s of shots) {
        const secret = s.res.data?.createApiToken?.secret;
        if (!secret) continue;
        // Every refusal counts against this one client address, and a fast machine mints more than the
        // 50 free per address (POLICIES.tokenPerIp): the counters start over so that the answer is about the token.
        await forgetThrottle();
        expect(codes(await sg.app.gql(ME, {}, auth.apiKey(secret)))).toEqual(['UNAUTHENTICATED']);
        expect(codes(await sg.gql(gw(), ME, {}, auth.apiKey(secret)))).toEqual(['UNAUTHENTICATED']);
      }
    });
  });

  describe("the identity's role and scopes are not a grant", () => {
    const send = (identity: string, query: string) => post(sg.app.url, query, {}, undefined, { [IDENTITY_HEADER]: identity, [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET });

    test('a genuine identity claiming OWNER for a MEMBER gets MEMBER, by session and by token', async () => {
      const t = await createToken(sg.app, world.member, { name: 'claims-owner', role: 'MEMBER' });
      const base = { sub: world.member.id, acc: world.owner.accountId, role: 'OWNER', scope: 'read write admin' };
      const identities = [
        await signIdentity({ ...base, via: 'session', sid: sidOf(world.member.session) }),
        await signIdentity({ ...base, via: 'apiToken', tid: t.id, sfp: secretFingerprint(digestSecret(t.secret)) }),
      ];
      for (const identity of identities) {
        const me = await send(identity, '{ me { id role } }');
        expect(me.data.me).toEqual({ id: world.member.id, role: 'MEMBER' });
        const admin = await send(identity, '{ webhooks { id } }');
        expect(codes(admin)).toEqual(['FORBIDDEN']);
        const promote = await send(identity, `mutation { updateUserRole(id: "${world.member.id}", role: OWNER) { role } }`);
        expect(codes(promote)).toEqual(['FORBIDDEN']);
      }
    });

    test('an identity that does not name a live credential is refused: no session id, no or the wrong secret fingerprint, a foreign token', async () => {
      const t = await createToken(sg.app, world.member, { name: 'claims-bad' });
      const other = await createToken(sg.app, world.member, { name: 'claims-other' });
      const stranger = await createToken(sg.app, world.stranger, { name: 'claims-stranger' });
      const base = { sub: world.member.id, acc: world.owner.accountId, role: 'MEMBER', scope: 'read write' };
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ ...base, via: 'session' }, INVALID_SESSION],
        [{ ...base, via: 'session', sid: sidOf(world.admin.session) }, INVALID_SESSION],
        [{ ...base, via: 'apiToken', tid: t.id }, INVALID_TOKEN],
        [{ ...base, via: 'apiToken', tid: t.id, sfp: secretFingerprint(digestSecret(other.secret)) }, INVALID_TOKEN],
        [{ ...base, via: 'apiToken', tid: stranger.id, sfp: secretFingerprint(digestSecret(stranger.secret)) }, INVALID_TOKEN],
      ];
      for (const [claims, message] of cases) {
        const res = await send(await signIdentity(claims), ME);
        expect(codes(res)).toEqual(['UNAUTHENTICATED']);
        expect(res.errors![0].message).toBe(message);
      }
    });

    test('a warm verification cache answers an identity without a query', async () => {
      const t = await createToken(sg.app, world.member, { name: 'warm-identity' });
      const identity = await signIdentity({
        sub: world.member.id,
        acc: world.owner.accountId,
        role: 'MEMBER',
        via: 'apiToken',
        tid: t.id,
        sfp: secretFingerprint(digestSecret(t.secret)),
        scope: 'read write',
      });
      expect((await send(identity, '{ me { id } }')).data.me.id).toBe(world.member.id);
      const before = sg.app.server.queryLogger.count;
      expect((await send(identity, '{ me { id } }')).data.me.id).toBe(world.member.id);
      expect(sg.app.server.queryLogger.count).toBe(before);
    });
  });

  describe('a change that rests on the caller’s authority re-reads the caller after the account lock', () => {
    /**
     * Hold the account-row lock in a test transaction, send the rogue's request (authenticated now, with
     * the old role), wait until its transaction has started (it then waits for the lock), commit `change`
     * in the held transaction, and return the rogue's answer.
     */
    async function afterLockedChange(accountId: string, change: (em: import('typeorm').EntityManager) => Promise<unknown>, request: () => Promise<GqlResponse>): Promise<GqlResponse> {
      const ds = sg.app.server.dataSource;
      const manager = ds.manager;
      const original = manager.transaction;
      let started = 0;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const held = ds.transaction(async (em) => {
        await lockAccount(em, accountId);
        locked();
        await released;
        await change(em);
      });
      await isLocked;
      manager.transaction = ((...args: unknown[]) => {
        started += 1;
        return (original as (...a: unknown[]) => Promise<unknown>).apply(manager, args);
      }) as typeof manager.transaction;
      try {
        const answer = request();
        for (let i = 0; started === 0 && i < 500; i++) await sleep(10);
        expect(started).toBeGreaterThan(0);
        await sleep(50); // let it reach the lock
        release();
        await held;
        return await answer;
      } finally {
        manager.transaction = original;
        release();
      }
    }

    test('demoted while its transaction waited: the request authenticated as ADMIN is FORBIDDEN', async () => {
      for (const via of ['session', 'token', 'gateway'] as const) {
        const { rogue, token } = await rogueAdmin();
        const credential = via === 'session' ? rogue.session : auth.apiKey(token.secret);
        const res = await afterLockedChange(
          rogue.accountId,
          (em) => em.getRepository(User).update({ id: rogue.id }, { role: Role.READ_ONLY }),
          () =>
            via === 'gateway'
              ? sg.gql(gateways.introspection, CREATE_TOKEN, { input: { name: `locked-${via}`, role: 'ADMIN' } }, credential)
              : sg.app.gql(UPDATE_ROLE, { id: rogue.id, role: 'ADMIN' }, credential),
        );
        expect(codes(res)).toEqual(['FORBIDDEN']);
        expect(await userState(rogue.id)).toMatchObject({ role: 'READ_ONLY' });
      }
    });

    test('revoked or deactivated while its transaction waited: UNAUTHENTICATED, audited, nothing written', async () => {
      const { rogue, token } = await rogueAdmin();
      const revoked = await afterLockedChange(
        rogue.accountId,
        (em) => em.getRepository(ApiToken).update({ id: token.id }, { storedStatus: TokenStatus.REVOKED, revokedAt: new Date() }),
        () => sg.app.gql(CREATE_TOKEN, { input: { name: 'locked-revoked', role: 'ADMIN' } }, auth.apiKey(token.secret)),
      );
      expect(codes(revoked)).toEqual(['UNAUTHENTICATED']);
      expect(revoked.errors![0].message).toBe(INVALID_TOKEN);
      const second = await rogueAdmin();
      const victim = await addUser(sg.app, world.owner, 'MEMBER', `victim-${++seq}`);
      const deactivated = await afterLockedChange(
        second.rogue.accountId,
        (em) => em.getRepository(User).update({ id: second.rogue.id }, { status: UserStatus.DEACTIVATED, deactivatedAt: new Date() }),
        () => sg.app.gql(DEACTIVATE, { id: victim.id }, second.rogue.session),
      );
      expect(codes(deactivated)).toEqual(['UNAUTHENTICATED']);
      expect(deactivated.errors![0].message).toBe(INVALID_SESSION);
      expect(await userState(victim.id)).toMatchObject({ status: 'ACTIVE' });
      const tokens = await sg.app.ok('query($o: ID!) { apiTokens(filter: { owner: $o }) { totalCount } }', { o: rogue.id }, world.owner.session);
      expect(tokens.apiTokens.totalCount).toBe(1);
      expect((await authFailures(rogue.id)).map((f) => f.reason)).toContain('recheck:revoked_token');
      expect((await authFailures(second.rogue.id)).map((f) => f.reason)).toContain('recheck:user_deactivated');
    });
  });

  describe('a gateway sharing the tokens service’s process forgets its cached verdicts when that service changes them', () => {
    test('revocation, demotion and deactivation take effect at the gateway at once, for every subgraph', async () => {
      const shared = await sg.startGateway('shared in-process', { via: 'inProcess', ttlMs: LONG_TTL_MS });
      const { rogue, token } = await rogueAdmin();
      const VIEWER = '{ inventoryViewer { userId role scopes } }';
      expect((await sg.gql(shared, VIEWER, {}, auth.apiKey(token.secret))).data.inventoryViewer.role).toBe('ADMIN');
      expect((await sg.gql(shared, VIEWER, {}, rogue.session)).data.inventoryViewer.role).toBe('ADMIN');
      await sg.app.ok(REVOKE, { id: token.id }, world.owner.session);
      const revoked = await sg.gql(shared, VIEWER, {}, auth.apiKey(token.secret));
      expect(revoked.status).toBe(401);
      expect(codes(revoked)).toEqual(['UNAUTHENTICATED']);
      await sg.app.ok(UPDATE_ROLE, { id: rogue.id, role: 'READ_ONLY' }, world.owner.session);
      expect((await sg.gql(shared, VIEWER, {}, rogue.session)).data.inventoryViewer).toEqual({ userId: rogue.id, role: 'READ_ONLY', scopes: ['read'] });
      await sg.app.ok(DEACTIVATE, { id: rogue.id }, world.owner.session);
      expect(codes(await sg.gql(shared, VIEWER, {}, rogue.session))).toEqual(['UNAUTHENTICATED']);
      // Logout too.
      const member = await addUser(sg.app, world.owner, 'MEMBER', `logout-${++seq}`);
      expect((await sg.gql(shared, VIEWER, {}, member.session)).data.inventoryViewer.userId).toBe(member.id);
      await sg.app.ok('mutation($r: String!) { logout(refreshToken: $r) }', { r: member.refreshToken });
      expect(codes(await sg.gql(shared, VIEWER, {}, member.session))).toEqual(['UNAUTHENTICATED']);
    });
  });
});
