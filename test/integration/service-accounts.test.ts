import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { User } from '../../src/modules/user/user.entity';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { addUser, auth, createToken, createWorld, LOGIN, uniqueEmail, World } from '../helpers/world';

/*
 * Issue #16, item 6: service accounts. OWNER/ADMIN create users of kind SERVICE (a name, a role, an
 * optional e-mail address, no password), issue tokens for them and list them apart from people. Their
 * tokens outlive the admin who issued them; deactivating the service account stops them at once.
 */

const CREATE_SA = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id kind name email role status } }`;
const USERS = `query($kind: UserKind, $first: Int) { users(kind: $kind, first: $first) { totalCount nodes { id kind name email } } }`;
const ME = '{ me { id kind name email role } }';
const DEACTIVATE = 'mutation($id: ID!) { deactivateUser(id: $id) { id status } }';
const REACTIVATE = 'mutation($id: ID!) { reactivateUser(id: $id) { id status } }';
const UPDATE_ROLE = 'mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id role } }';
const INVALID_TOKEN = 'Invalid, expired or revoked API token';

let sg: Supergraph;
let world: World;
let seq = 0;

beforeAll(async () => {
  sg = await startSupergraph();
  world = await createWorld(sg.app);
});
afterAll(() => sg?.stop());

const app = () => sg.app;
const createSa = async (by: string, input: Record<string, unknown> = {}) =>
  (await app().ok(CREATE_SA, { input: { name: `CI deploy ${++seq}`, role: 'MEMBER', ...input } }, by)).createServiceAccount;

describe('createServiceAccount', () => {
  test('OWNER and ADMIN create one: kind SERVICE, no e-mail needed, audited; it is listed apart from people', async () => {
    const sa = await createSa(world.admin.session, { name: '  Nightly backup ', role: 'ADMIN' });
    expect(sa).toMatchObject({ kind: 'SERVICE', name: 'Nightly backup', email: '', role: 'ADMIN', status: 'ACTIVE' });
    const withEmail = await createSa(world.owner.session, { email: uniqueEmail('Robots') });
    expect(withEmail.email).toMatch(/^robots\./);

    const services = (await app().ok(USERS, { kind: 'SERVICE', first: 100 }, world.owner.session)).users;
    expect(services.nodes.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining([sa.id, withEmail.id]));
    expect(services.nodes.every((u: { kind: string }) => u.kind === 'SERVICE')).toBe(true);
    const people = (await app().ok(USERS, { kind: 'PERSON', first: 100 }, world.owner.session)).users;
    expect(people.nodes.map((u: { id: string }) => u.id).sort()).toEqual([world.owner.id, world.admin.id, world.member.id, world.readOnly.id].sort());
    // Without the filter: everyone, as before.
    const all = (await app().ok(USERS, { first: 100 }, world.owner.session)).users;
    expect(all.totalCount).toBe(people.totalCount + services.totalCount);

    const created = await app().db.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'user.created', targetId: sa.id });
    expect(created.actorId).toBe(world.admin.id);
    expect(JSON.parse(created.details!)).toMatchObject({ kind: 'SERVICE', role: 'ADMIN' });
    const row = await app().db.dataSource.getRepository(User).findOneByOrFail({ id: sa.id });
    expect(row.email).toBeNull();
  });

  test('bad input: empty name, bad e-mail, a taken e-mail (CONFLICT); nothing is created', async () => {
    const before = await app().db.dataSource.getRepository(User).count();
    const noName = await app().fail(CREATE_SA, { input: { name: '  ', role: 'MEMBER' } }, world.owner.session);
    expect(noName.code).toBe('BAD_USER_INPUT');
    expect(noName.message).toContain('name');
    const badEmail = await app().fail(CREATE_SA, { input: { name: 'x', role: 'MEMBER', email: 'not an address' } }, world.owner.session);
    expect(badEmail.code).toBe('BAD_USER_INPUT');
    expect(badEmail.message).toContain('email');
    const taken = await app().fail(CREATE_SA, { input: { name: 'x', role: 'MEMBER', email: world.member.email } }, world.owner.session);
    expect(taken.code).toBe('CONFLICT');
    expect(await app().db.dataSource.getRepository(User).count()).toBe(before);
  });

  test('refused: anonymous, MEMBER, READ_ONLY, an ADMIN asking for OWNER, a READ_ONLY API token of an admin', async () => {
    const input = { name: 'nope', role: 'MEMBER' };
    expect((await app().fail(CREATE_SA, { input })).code).toBe('UNAUTHENTICATED');
    expect((await app().fail(CREATE_SA, { input }, world.member.session)).code).toBe('FORBIDDEN');
    expect((await app().fail(CREATE_SA, { input }, world.readOnly.session)).code).toBe('FORBIDDEN');
    expect((await app().fail(CREATE_SA, { input: { ...input, role: 'OWNER' } }, world.admin.session)).code).toBe('FORBIDDEN');
    const readOnlyToken = await createToken(app(), world.admin, { role: 'READ_ONLY' });
    expect((await app().fail(CREATE_SA, { input }, auth.apiKey(readOnlyToken.secret))).code).toBe('FORBIDDEN');
    // A member lists only themselves, whatever the filter.
    expect((await app().ok(USERS, { kind: 'SERVICE' }, world.member.session)).users.nodes).toEqual([]);
  });

  test('another account: its service accounts are invisible and cannot be given tokens', async () => {
    const sa = await createSa(world.owner.session);
    expect((await app().ok(USERS, { kind: 'SERVICE', first: 100 }, world.stranger.session)).users.nodes).toEqual([]);
    const r = await app().fail('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }', { input: { name: 'steal', ownerId: sa.id } }, world.stranger.session);
    expect(r.code).toBe('NOT_FOUND');
    expect((await app().fail(DEACTIVATE, { id: sa.id }, world.stranger.session)).code).toBe('NOT_FOUND');
  });
});

describe('a service account acts only through its tokens', () => {
  test('it cannot sign in, even with its e-mail address: the answer is the unknown-address one', async () => {
    const email = uniqueEmail('Bot');
    await createSa(world.owner.session, { email });
    const asBot = await app().fail(LOGIN, { email, password: 'correct horse battery staple' });
    const unknown = await app().fail(LOGIN, { email: uniqueEmail('Nobody'), password: 'correct horse battery staple' });
    expect(asBot.code).toBe('UNAUTHENTICATED');
    expect(asBot.message).toBe(unknown.message);
    expect(await app().db.dataSource.getRepository(AuditEvent).countBy({ action: 'auth.failed', reason: 'wrong_password' })).toBe(0);
  });

  test('admins issue tokens for it; members cannot; its tokens act as it', async () => {
    const sa = await createSa(world.owner.session, { role: 'MEMBER' });
    const token = await createToken(app(), world.admin, { ownerId: sa.id });
    expect((await app().ok(ME, {}, auth.apiKey(token.secret))).me).toEqual({ id: sa.id, kind: 'SERVICE', name: sa.name, email: '', role: 'MEMBER' });
    const refused = await app().fail('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }', { input: { name: 'x', ownerId: sa.id } }, world.member.session);
    expect(refused.code).toBe('FORBIDDEN');
    // Through the gateway too.
    const gw = await sg.startGateway('service-accounts', { via: 'inProcess' });
    expect((await sg.gql(gw, ME, undefined, auth.apiKey(token.secret))).data?.me).toMatchObject({ id: sa.id, kind: 'SERVICE' });
    const viaGw = await sg.gql(gw, CREATE_SA, { input: { name: 'via gateway', role: 'READ_ONLY' } }, world.owner.session);
    expect(viaGw.data?.createServiceAccount).toMatchObject({ kind: 'SERVICE', role: 'READ_ONLY' });
    expect((await sg.gql(gw, CREATE_SA, { input: { name: 'x', role: 'READ_ONLY' } })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await sg.gql(gw, CREATE_SA, { input: { name: 'x', role: 'READ_ONLY' } }, world.member.session)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await sg.gql(gw, CREATE_SA, { input: { name: '', role: 'READ_ONLY' } }, world.owner.session)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await sg.gql(gw, USERS, { kind: 'SERVICE' }, world.stranger.session)).data?.users.nodes).toEqual([]);
  });

  test('its tokens survive the deactivation of the admin who issued them', async () => {
    const issuer = await addUser(app(), world.owner, 'ADMIN', `Temp Admin ${++seq}`);
    const sa = await createSa(issuer.session, { role: 'ADMIN' });
    const token = await createToken(app(), issuer, { ownerId: sa.id });
    const ownToken = await createToken(app(), issuer);
    await app().ok(DEACTIVATE, { id: issuer.id }, world.owner.session);
    expect((await app().fail(ME, {}, auth.apiKey(ownToken.secret))).code).toBe('UNAUTHENTICATED');
    expect((await app().ok(ME, {}, auth.apiKey(token.secret))).me.id).toBe(sa.id);
    expect((await app().ok(USERS, { kind: 'SERVICE', first: 100 }, auth.apiKey(token.secret))).users.nodes.map((u: { id: string }) => u.id)).toContain(sa.id);
  });

  test('deactivating the service account stops its tokens at once, directly and at the gateway; reactivating restores them', async () => {
    const sa = await createSa(world.owner.session);
    const token = await createToken(app(), world.owner, { ownerId: sa.id });
    const gw = await sg.startGateway('service-accounts-cache', { via: 'inProcess', ttlMs: 60_000 });
    expect((await app().ok(ME, {}, auth.apiKey(token.secret))).me.id).toBe(sa.id);
    expect((await sg.gql(gw, ME, undefined, auth.apiKey(token.secret))).data?.me?.id).toBe(sa.id);
    await app().ok(DEACTIVATE, { id: sa.id }, world.admin.session);
    const direct = await app().fail(ME, {}, auth.apiKey(token.secret));
    expect(direct).toMatchObject({ code: 'UNAUTHENTICATED', message: INVALID_TOKEN });
    expect((await sg.gql(gw, ME, undefined, auth.apiKey(token.secret))).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await app().ok(REACTIVATE, { id: sa.id }, world.admin.session);
    expect((await app().ok(ME, {}, auth.apiKey(token.secret))).me.id).toBe(sa.id);
  });

  test("a service account OWNER does not count as the account's other OWNER", async () => {
    const sa = await createSa(world.owner.session, { role: 'OWNER' });
    const r = await app().fail(UPDATE_ROLE, { id: world.owner.id, role: 'ADMIN' }, world.owner.session);
    expect(r.code).toBe('CONFLICT');
    await app().ok(UPDATE_ROLE, { id: sa.id, role: 'MEMBER' }, world.owner.session);
  });
});
