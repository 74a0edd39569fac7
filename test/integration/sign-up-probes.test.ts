import type { RunningGateway } from '../../src/gateway/gateway';
import { clock } from '../../src/common/clock';
import { POLICIES, throttleKey } from '../../src/modules/throttle/throttle.service';
import { Throttle } from '../../src/modules/throttle/throttle.entity';
import { Account } from '../../src/modules/account/account.entity';
import { User } from '../../src/modules/user/user.entity';
import { EMAIL_UNAVAILABLE } from '../../src/modules/user/user.errors';
import { post, startSupergraph, Supergraph } from '../helpers/supergraph';
import type { GqlResponse } from '../helpers/app';
import { addUser, Actor, auth, CREATE_USER, createToken, createWorld, CreatedToken, PASSWORD, SIGN_UP, uniqueEmail, World } from '../helpers/world';

/**
 * signUp and createUser refuse an address that is already registered, in any
 * account: the refusal says the address is taken somewhere, so refusals are
 * rationed per client IP and per caller, answered alike for every account, and
 * audited. The service trusts X-Forwarded-For from loopback here, so each test
 * speaks from addresses of its own; nothing probes from 127.0.0.1 itself, the
 * address the helpers (and the gateway) create users from.
 */
let sg: Supergraph;
let world: World;
let gw: RunningGateway;
let adminToken: CreatedToken;
beforeAll(async () => {
  sg = await startSupergraph({ TRUST_PROXY: 'loopback' });
  world = await createWorld(sg.app);
  adminToken = await createToken(sg.app, world.admin, { name: 'admin-via-gateway' });
  gw = await sg.startGateway('probes');
});
afterEach(() => clock.reset());
afterAll(() => sg?.stop());

let ipSeq = 0;
/** A client address no other test uses. */
const freshIp = () => `198.51.100.${++ipSeq}`;
const direct = (query: string, variables: Record<string, unknown>, authorization: string | undefined, ip: string) =>
  post(sg.app.url, query, variables, authorization, { 'x-forwarded-for': ip });
const firstError = (res: GqlResponse) => res.errors?.[0];
const code = (res: GqlResponse) => firstError(res)?.extensions?.code;
const signUpInput = (email: string) => ({ accountName: 'Probe Inc', email, password: PASSWORD, name: 'Probe' });
const userInput = (email: string) => ({ email, name: 'New', password: PASSWORD, role: 'MEMBER' });
const counts = async () => [await sg.app.db.dataSource.getRepository(Account).count(), await sg.app.db.dataSource.getRepository(User).count()];
const EVENTS = `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) {
  nodes { action actorId actorTokenId targetType targetId reason ip details } } }`;
const conflictEvents = async (by: Actor) => (await sg.app.ok(EVENTS, { filter: { action: 'user.email_conflict' } }, by.session)).auditEvents.nodes as Array<Record<string, any>>;

describe('signUp probes for registered addresses', () => {
  test('40 probes from one address: the first 10 are CONFLICT, every later one RATE_LIMITED, and nothing is created', async () => {
    const ip = freshIp();
    const before = await counts();
    const taken = [world.member.email, world.stranger.email.toUpperCase(), ` ${world.owner.email} `];
    const answers: Array<string | undefined> = [];
    for (let i = 0; i < 40; i++) answers.push(code(await direct(SIGN_UP, { input: signUpInput(taken[i % taken.length]) }, undefined, ip)));
    const free = POLICIES.emailConflictPerIp.freeFailures;
    expect(free).toBe(10);
    expect(answers).toEqual([...Array(free).fill('CONFLICT'), ...Array(40 - free).fill('RATE_LIMITED')]);
    expect(await counts()).toEqual(before);

    // Locked out of sign-up altogether for the first lock (1 minute), not only for taken addresses.
    const locked = await direct(SIGN_UP, { input: signUpInput(uniqueEmail('honest')) }, undefined, ip);
    expect(code(locked)).toBe('RATE_LIMITED');
    expect(firstError(locked)?.extensions?.retryAfterSeconds).toBeGreaterThan(50);
    expect(firstError(locked)?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Another address is not affected.
    expect(code(await direct(SIGN_UP, { input: signUpInput(uniqueEmail('elsewhere')) }, undefined, freshIp()))).toBeUndefined();

    // The lock ends; the next taken address is refused with a doubled lock at once.
    clock.advance(POLICIES.emailConflictPerIp.baseLockMs + 1000);
    expect(code(await direct(SIGN_UP, { input: signUpInput(uniqueEmail('after-lock')) }, undefined, ip))).toBeUndefined();
    const again = await direct(SIGN_UP, { input: signUpInput(world.member.email) }, undefined, ip);
    expect(code(again)).toBe('RATE_LIMITED');
    expect(firstError(again)?.extensions?.retryAfterSeconds).toBeGreaterThan(60);
  });

  test("signUp and createUser share the address's budget", async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect(code(await direct(SIGN_UP, { input: signUpInput(world.member.email) }, undefined, ip))).toBe('CONFLICT');
    for (let i = 0; i < 5; i++) expect(code(await direct(CREATE_USER, { input: userInput(world.stranger.email) }, world.owner.session, ip))).toBe('CONFLICT');
    expect(code(await direct(SIGN_UP, { input: signUpInput(world.readOnly.email) }, undefined, ip))).toBe('RATE_LIMITED');
    expect(code(await direct(CREATE_USER, { input: userInput(uniqueEmail('blocked')) }, world.owner.session, ip))).toBe('RATE_LIMITED');
  });

  test("the refusal is the same for an address of the caller's account and of another, and names no user or account", async () => {
    const signUps = [world.member.email, world.stranger.email];
    const [own, foreign] = await Promise.all(signUps.map((email) => direct(SIGN_UP, { input: signUpInput(email) }, undefined, freshIp())));
    expect(own.status).toBe(foreign.status);
    expect(own.errors).toEqual(foreign.errors);
    expect(own.errors).toEqual([{ message: EMAIL_UNAVAILABLE, path: ['signUp'], locations: expect.any(Array), extensions: { code: 'CONFLICT' } }]);

    // An OWNER creating a user with an address of their own account, and of another account.
    const [mine, theirs] = await Promise.all(
      [world.member.email.toUpperCase(), world.stranger.email.toUpperCase()].map((email) => direct(CREATE_USER, { input: userInput(email) }, world.owner.session, freshIp())),
    );
    expect(mine.status).toBe(theirs.status);
    expect(mine.errors).toEqual(theirs.errors);
    expect(mine.errors).toEqual([{ message: EMAIL_UNAVAILABLE, path: ['createUser'], locations: expect.any(Array), extensions: { code: 'CONFLICT' } }]);
    for (const res of [own, mine]) {
      expect(res.raw).not.toContain(world.stranger.id);
      expect(res.raw).not.toContain(world.stranger.accountId);
      expect(res.raw).not.toContain('Globex');
    }
  });

  test('a lost race for an address is answered and counted like any other refusal', async () => {
    const ip = freshIp();
    const email = uniqueEmail('race');
    const results = await Promise.all(Array.from({ length: 4 }, () => direct(SIGN_UP, { input: signUpInput(email) }, undefined, ip)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors).map((r) => [code(r), firstError(r)?.message])).toEqual(Array(3).fill(['CONFLICT', EMAIL_UNAVAILABLE]));
    const counter = await sg.app.db.dataSource.getRepository(Throttle).findOneBy({ key: throttleKey('email-conflict:ip', ip) });
    expect(counter?.failures).toBe(3);
  });
});

describe('createUser probes by a signed-in caller', () => {
  test('refusals are counted per caller across addresses: the 11th is RATE_LIMITED, the OWNER is not', async () => {
    const prober = await addUser(sg.app, world.owner, 'ADMIN', 'prober');
    const before = await counts();
    for (let i = 0; i < 10; i++) {
      // Each from an address of its own: only the caller's counter reaches its limit.
      expect(code(await direct(CREATE_USER, { input: userInput(world.stranger.email) }, prober.session, freshIp()))).toBe('CONFLICT');
    }
    expect(code(await direct(CREATE_USER, { input: userInput(world.stranger.email) }, prober.session, freshIp()))).toBe('RATE_LIMITED');
    // Locked for every createUser, wherever they call from, and through the gateway too.
    expect(code(await direct(CREATE_USER, { input: userInput(uniqueEmail('legit')) }, prober.session, freshIp()))).toBe('RATE_LIMITED');
    const proberToken = await createToken(sg.app, prober, { name: 'prober-token' });
    const viaGateway = await sg.gql(gw, CREATE_USER, { input: userInput(uniqueEmail('legit')) }, auth.apiKey(proberToken.secret));
    expect(code(viaGateway)).toBe('RATE_LIMITED');
    expect(await counts()).toEqual(before);
    // The account's OWNER is not affected.
    const created = await direct(CREATE_USER, { input: userInput(uniqueEmail('by-owner')) }, world.owner.session, freshIp());
    expect(created.errors).toBeUndefined();
  });

  test('through the gateway a refusal reads the same and is audited with the API token', async () => {
    const res = await sg.gql(gw, CREATE_USER, { input: userInput(world.stranger.email) }, auth.apiKey(adminToken.secret));
    expect(res.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['CONFLICT', EMAIL_UNAVAILABLE]]);
    expect(res.data?.createUser ?? null).toBeNull();
    const signUp = await sg.gql(gw, SIGN_UP, { input: signUpInput(world.readOnly.email) });
    expect(signUp.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['CONFLICT', EMAIL_UNAVAILABLE]]);
    const mine = (await conflictEvents(world.owner)).filter((e) => e.actorTokenId === adminToken.id);
    expect(mine).toEqual([expect.objectContaining({ actorId: world.admin.id, targetId: null, reason: 'create_user', details: JSON.stringify({ email: world.stranger.email }) })]);
  });
});

describe('the audit trail', () => {
  test('a sign-up probe is recorded in the account of the registered user, with the address it came from', async () => {
    const ip = freshIp();
    await direct(SIGN_UP, { input: signUpInput(world.stranger.email.toUpperCase()) }, undefined, ip);
    const events = (await conflictEvents(world.stranger)).filter((e) => e.ip === ip);
    expect(events).toEqual([{ action: 'user.email_conflict', actorId: null, actorTokenId: null, targetType: 'user', targetId: world.stranger.id, reason: 'sign_up', ip, details: null }]);
    // The prober's account (none) and the other account learn nothing.
    expect((await conflictEvents(world.owner)).filter((e) => e.ip === ip)).toEqual([]);
  });

  test("an admin's refusal for another account's address: their trail has the address, the other account's has its user, neither the other's ids", async () => {
    const ip = freshIp();
    await direct(CREATE_USER, { input: userInput(world.stranger.email) }, world.admin.session, ip);
    const ours = (await conflictEvents(world.owner)).filter((e) => e.ip === ip);
    expect(ours).toEqual([
      {
        action: 'user.email_conflict',
        actorId: world.admin.id,
        actorTokenId: null,
        targetType: null,
        targetId: null,
        reason: 'create_user',
        ip,
        details: JSON.stringify({ email: world.stranger.email }),
      },
    ]);
    const theirs = (await conflictEvents(world.stranger)).filter((e) => e.ip === ip);
    expect(theirs).toEqual([{ action: 'user.email_conflict', actorId: null, actorTokenId: null, targetType: 'user', targetId: world.stranger.id, reason: 'create_user', ip, details: null }]);
  });

  test("an admin's refusal for their own account's address names the user and the admin, once", async () => {
    const ip = freshIp();
    await direct(CREATE_USER, { input: userInput(world.member.email) }, world.admin.session, ip);
    const events = (await conflictEvents(world.owner)).filter((e) => e.ip === ip);
    expect(events).toEqual([
      { action: 'user.email_conflict', actorId: world.admin.id, actorTokenId: null, targetType: 'user', targetId: world.member.id, reason: 'create_user', ip, details: null },
    ]);
  });
});
