import { createHash } from 'node:crypto';
import { startTestApp, TestApp } from '../helpers/app';
import { addUser, auth, createToken, createWorld, LOGIN, PASSWORD, World } from '../helpers/world';
import { CREATE_TOKEN, GET, LIST, REGENERATE, REVOKE, REVOKE_LEAKED, TOKEN_FIELDS, DELETE } from '../helpers/api-tokens';
import { dumpDatabase, leaksIn, registerSecret } from '../helpers/secret-registry';

/**
 * After creation, a secret (API token secret, refresh token, password) is never
 * seen again: not in any query result, not in any log line, not in any column
 * of any table. (Every integration file's teardown checks logs, errors and
 * columns too, test/helpers/secret-registry.ts; this file also covers reads.)
 */
let app: TestApp;
let world: World;
/** Everything this file hands out and must never show up again, with a label (also in the shared registry). */
const secrets = new Map<string, string>();
/** Their one-way digests, which the database is expected to hold (proves the scan sees the rows). */
const digests: string[] = [];
/** Raw responses of every read made after the secrets were handed out. */
const readResponses: string[] = [];

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
function remember(label: string, value: string) {
  secrets.set(value, label);
  // The registry adds the forms it could leak in, e.g. the part after the shown hint.
  registerSecret(label, value);
}
const leaks = leaksIn;
const dump = () => dumpDatabase(app.db.dataSource, app.db.kind);

const OTHER_PASSWORD = 'Tr0ub4dor&3 is not a good password';
const WRONG_PASSWORD = 'wrong-password-attempt-42';

beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  for (const a of Object.values(world)) {
    remember(`${a.name} refresh token`, a.refreshToken);
    remember(`${a.name} access token`, a.session.slice('Bearer '.length));
  }
  remember('the shared test password', PASSWORD);
  remember('another password', OTHER_PASSWORD);
  remember('a wrong password', WRONG_PASSWORD);

  // Tokens of every kind, used through every header form.
  const tokens = [
    await createToken(app, world.owner, { description: 'owner token', environment: 'production' }),
    await createToken(app, world.admin, { ownerId: world.member.id }),
    await createToken(app, world.readOnly),
    await createToken(app, world.stranger),
  ];
  tokens.forEach((t, i) => remember(`token ${i} secret`, t.secret));
  for (const t of tokens) {
    await app.ok('{ me { id } }', {}, auth.apiKey(t.secret));
    await app.ok('{ me { id } }', {}, auth.bearer(t.secret));
    await app.ok('{ me { id } }', {}, auth.basic(t.username, t.secret));
  }

  // Regeneration with a grace period: old and new secrets both work for now.
  const rotated = await createToken(app, world.member);
  remember('rotated token, old secret', rotated.secret);
  const regen = await app.ok(REGENERATE, { id: rotated.id, grace: 3600 }, world.member.session);
  remember('rotated token, new secret', regen.regenerateApiToken.secret);
  await app.ok('{ me { id } }', {}, auth.apiKey(rotated.secret));
  await app.ok('{ me { id } }', {}, auth.apiKey(regen.regenerateApiToken.secret));

  // Revoked, deleted and leaked tokens.
  const revoked = await createToken(app, world.member);
  remember('revoked token secret', revoked.secret);
  await app.ok(REVOKE, { id: revoked.id }, world.member.session);
  await app.ok(DELETE, { id: revoked.id }, world.member.session);
  await app.gql('{ me { id } }', {}, auth.apiKey(revoked.secret)); // refused
  const leaked = await createToken(app, world.member);
  remember('leaked token secret', leaked.secret);
  await app.ok(REVOKE_LEAKED, { secret: leaked.secret });

  // A token created by a token.
  const child = await app.ok(CREATE_TOKEN, { input: { name: 'child' } }, auth.apiKey(tokens[0].secret));
  remember('child token secret', child.createApiToken.secret);
  await app.ok('{ me { id } }', {}, auth.apiKey(child.createApiToken.secret));

  // Sessions: a new user, failed logins, a refresh, a logout.
  const newcomer = await app.ok(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    { input: { email: 'newcomer@example.com', name: 'newcomer', password: OTHER_PASSWORD, role: 'MEMBER' } },
    world.owner.session,
  );
  expect(newcomer.createUser.id).toBeTruthy();
  await app.gql(LOGIN, { email: 'newcomer@example.com', password: WRONG_PASSWORD });
  await app.gql(LOGIN, { email: 'nobody@example.com', password: WRONG_PASSWORD });
  await app.gql(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    {
      input: { email: 'bad', name: 'x', password: WRONG_PASSWORD, role: 'MEMBER' },
    },
    world.owner.session,
  );
  const login = await app.ok(LOGIN, { email: 'newcomer@example.com', password: OTHER_PASSWORD });
  remember('newcomer refresh token', login.login.refreshToken);
  remember('newcomer access token', login.login.accessToken);
  const refreshed = await app.ok(`mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken refreshToken } }`, {
    r: login.login.refreshToken,
  });
  remember('refreshed refresh token', refreshed.refreshSession.refreshToken);
  remember('refreshed access token', refreshed.refreshSession.accessToken);
  await app.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }`, { r: login.login.refreshToken }); // reuse: refused
  await app.ok(`mutation($r: String!) { logout(refreshToken: $r) }`, { r: world.readOnly.refreshToken });
  const extra = await addUser(app, world.owner, 'READ_ONLY', 'extra');
  remember('extra refresh token', extra.refreshToken);
  remember('extra access token', extra.session.slice('Bearer '.length));

  // Usage gets written.
  await app.server.usage.flush();

  // Every read the API offers, by every kind of caller.
  const reads: Array<[string, Record<string, unknown>]> = [
    [`{ apiTokens(first: 100, filter: { status: [ACTIVE, EXPIRED, REVOKED, DELETED] }) { totalCount nodes { ${TOKEN_FIELDS} } } }`, {}],
    ['{ me { id email name role status createdAt account { id name policy { maxActiveTokens } } } }', {}],
    ['{ users(first: 100) { totalCount nodes { id email name role status createdAt } } }', {}],
    ['{ account { id name } }', {}],
  ];
  for (const caller of [world.owner.session, world.admin.session, world.member.session, world.stranger.session, auth.apiKey(tokens[0].secret)]) {
    for (const [q, v] of reads) readResponses.push((await app.gql(q, v, caller)).raw);
  }
  for (const t of [...tokens, rotated, revoked, leaked]) readResponses.push((await app.gql(GET, { id: t.id }, world.owner.session)).raw);
  readResponses.push((await app.gql(LIST, { first: 100 }, world.member.session)).raw);
});
afterAll(() => app?.stop());

test('the secrets are real: they were handed out and the database holds their digests', async () => {
  expect([...secrets.values()].filter((l) => l.includes('token') && l.endsWith('secret')).length).toBeGreaterThanOrEqual(8);
  for (const [value, label] of secrets) if (label.endsWith('secret')) digests.push(sha256(value));
  const text = await dump();
  const present = digests.filter((d) => text.includes(d));
  // Current and grace-period secrets are stored as digests (revoked/deleted rows may have dropped theirs).
  expect(present.length).toBeGreaterThanOrEqual(6);
  expect(text).toMatch(/\$2[aby]\$10\$/); // bcrypt password hashes
});

test('no query result contains a secret, a refresh token or a password', () => {
  expect(readResponses.length).toBeGreaterThan(20);
  for (const raw of readResponses) expect(leaks(raw)).toEqual([]);
});

test('the schema offers no way to read a secret back', async () => {
  for (const q of ['query($id: ID!) { apiToken(id: $id) { secret } }', '{ apiTokens { nodes { secretHash } } }', '{ me { passwordHash } }']) {
    const res = await app.gql(q, { id: 'x' }, world.owner.session);
    expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  }
  const schema = await app.ok('{ __schema { types { name fields { name type { kind name ofType { kind name } } } } } }');
  // Every field that answers something; a mutation that answers a plain Boolean (changePassword) reads nothing back.
  const answersData = (t: any, f: any) => !(t.name === 'Mutation' && (f.type.ofType?.name ?? f.type.name) === 'Boolean');
  const fields = schema.__schema.types.flatMap((t: any) => (t.fields ?? []).filter((f: any) => answersData(t, f)).map((f: any) => `${t.name}.${f.name}`));
  expect(fields.filter((f: string) => /secret|password|hash/i.test(f))).toEqual(['CreatedApiToken.secret', 'CreatedWebhook.secret']); // webhook signing secrets, also shown once
  const mutations = schema.__schema.types.find((t: any) => t.name === 'Mutation').fields;
  expect(mutations.find((f: any) => f.name === 'changePassword').type).toEqual({ kind: 'NON_NULL', name: null, ofType: { kind: 'SCALAR', name: 'Boolean' } });
});

test('no log line contains a secret, a refresh token, an access token or a password', () => {
  expect(app.logs.length).toBeGreaterThan(50);
  const offending = app.logs.filter((line) => leaks(line).length > 0);
  expect(offending.map((l) => `${leaks(l).join(', ')}: ${l.slice(0, 200)}`)).toEqual([]);
});

test('no column of any table contains a secret, a refresh token, an access token or a password', async () => {
  const text = await dump();
  expect(text.length).toBeGreaterThan(1000);
  expect(leaks(text)).toEqual([]);
});
