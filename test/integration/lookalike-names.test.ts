import type { RunningGateway } from '../../src/gateway/gateway';
import { Account } from '../../src/modules/account/account.entity';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { AccountScope } from '../../src/modules/scope/account-scope.entity';
import { User } from '../../src/modules/user/user.entity';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import type { TestApp } from '../helpers/app';
import { auth, CREATE_TOKEN, CREATE_USER, createToken, createWorld, LOGIN, PASSWORD, SIGN_UP, World } from '../helpers/world';

/**
 * Look-alike names: every name, description and e-mail address is stored in
 * NFC and may not hide characters a reader can not see (zero-width, bidi
 * controls, other control or format characters) or be malformed UTF-16.
 */
let sg: Supergraph;
let app: TestApp;
let world: World;
let gw: RunningGateway;
beforeAll(async () => {
  sg = await startSupergraph();
  app = sg.app;
  world = await createWorld(app);
  gw = await sg.startGateway('names');
});
afterAll(() => sg?.stop());

const CREATE_SCOPE = 'mutation($input: CreateScopeInput!) { createScope(input: $input) { id name description } }';
const LIST = 'query($filter: ApiTokenFilter) { apiTokens(filter: $filter, first: 100) { nodes { id name } } }';
let seq = 0;
const email = (local = 'user') => `${local}.${process.pid}.${++seq}@example.com`;
const rows = async () => Promise.all([Account, User, ApiToken, AccountScope].map((entity) => app.db.dataSource.getRepository(entity as never).count()));

const HIDDEN: Array<[string, string]> = [
  ['a zero-width space', 'ad\u200bmin'],
  ['a right-to-left override', 'ci\u202egpj.exe'],
  ['a lone surrogate', 'name\ud800'],
  ['a C1 control character', 'na\u0085me'],
];

/** Each input that takes a name, a description or an e-mail address, with the field its errors name. */
const INPUTS: Array<{ op: string; field: string; run: (value: string) => [string, Record<string, unknown>, string | undefined] }> = [
  { op: 'signUp', field: 'accountName', run: (v) => [SIGN_UP, { input: { accountName: v, email: email(), password: PASSWORD, name: 'n' } }, undefined] },
  { op: 'signUp', field: 'name', run: (v) => [SIGN_UP, { input: { accountName: 'a', email: email(), password: PASSWORD, name: v } }, undefined] },
  { op: 'signUp', field: 'email', run: (v) => [SIGN_UP, { input: { accountName: 'a', email: email(v), password: PASSWORD, name: 'n' } }, undefined] },
  { op: 'createUser', field: 'name', run: (v) => [CREATE_USER, { input: { email: email(), name: v, password: PASSWORD, role: 'MEMBER' } }, world.owner.session] },
  { op: 'createUser', field: 'email', run: (v) => [CREATE_USER, { input: { email: email(v), name: 'n', password: PASSWORD, role: 'MEMBER' } }, world.owner.session] },
  { op: 'createApiToken', field: 'name', run: (v) => [CREATE_TOKEN, { input: { name: v } }, world.member.session] },
  { op: 'createApiToken', field: 'description', run: (v) => [CREATE_TOKEN, { input: { name: `t${++seq}`, description: `for ${v}` } }, world.member.session] },
  { op: 'createScope', field: 'description', run: (v) => [CREATE_SCOPE, { input: { name: `s:${++seq}`, description: v } }, world.owner.session] },
];

describe('hidden characters are refused with BAD_USER_INPUT naming the field; nothing is written', () => {
  test.each(INPUTS.flatMap((input) => HIDDEN.map(([what, value]) => [input.op, input.field, what, value, input] as const)))('%s %s with %s', async (_op, field, _what, value, input) => {
    const before = await rows();
    const [query, variables, authorization] = input.run(value);
    const res = await app.gql(query, variables, authorization);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].message).toMatch(new RegExp(`^${field}: must (not contain|be well-formed)`));
    expect(res.errors![0].extensions?.field).toBe(field);
    expect(res.data).toBeNull();
    expect(await rows()).toEqual(before);
  });

  test('through the gateway too', async () => {
    const token = await createToken(app, world.member, { name: 'names-via-gateway' });
    const before = await rows();
    const res = await sg.gql(gw, CREATE_TOKEN, { input: { name: 'deploy\u202egnp.exe' } }, auth.apiKey(token.secret));
    expect(res.errors?.map((e) => [e.extensions?.code, e.message.split(':')[0]])).toEqual([['BAD_USER_INPUT', 'name']]);
    expect(await rows()).toEqual(before);
  });

  test('descriptions keep their line breaks and tabs', async () => {
    const res = await app.ok(
      CREATE_TOKEN.replace('name username', 'name description username'),
      { input: { name: 'multi-line', description: 'line one\nline two\tindented' } },
      world.member.session,
    );
    expect(res.createApiToken.token.description).toBe('line one\nline two\tindented');
  });
});

describe('one spelling per name: NFC', () => {
  const NFC = 'jos\u00e9';
  const NFD = 'jose\u0301';

  test('an address in NFD and NFC is one user: stored in NFC, a second sign-up or createUser is CONFLICT, sign-in works with either', async () => {
    const local = `${NFD}.${process.pid}`;
    const signedUp = (await app.ok(SIGN_UP, { input: { accountName: `Caf${'e\u0301'}`, email: `${local}@example.com`, password: PASSWORD, name: NFD } })).signUp;
    const stored = `${local.normalize('NFC')}@example.com`;
    expect(signedUp.user.email).toBe(stored);
    expect(signedUp.user.name).toBe(NFC);
    const row = await app.db.dataSource.getRepository(User).findOneByOrFail({ id: signedUp.user.id });
    expect([row.email, row.name]).toEqual([stored, NFC]);
    expect((await app.db.dataSource.getRepository(Account).findOneByOrFail({ id: signedUp.user.account.id })).name).toBe('Caf\u00e9');

    const before = await rows();
    expect((await app.fail(SIGN_UP, { input: { accountName: 'Twin', email: stored, password: PASSWORD, name: 'twin' } })).code).toBe('CONFLICT');
    expect((await app.fail(CREATE_USER, { input: { email: stored.toUpperCase(), name: 'twin', password: PASSWORD, role: 'MEMBER' } }, world.owner.session)).code).toBe('CONFLICT');
    expect(await rows()).toEqual(before);

    for (const typed of [`${local}@example.com`, stored, ` ${local.toUpperCase()}@EXAMPLE.COM`]) {
      expect((await app.ok(LOGIN, { email: typed, password: PASSWORD })).login.user.id).toBe(signedUp.user.id);
    }
  });

  test('token names: NFD and NFC are one name for the owner; stored in NFC; a search in either form finds it', async () => {
    const t = (await app.ok(CREATE_TOKEN, { input: { name: `caf${'e\u0301'} deploy` } }, world.readOnly.session)).createApiToken.token;
    expect(t.name).toBe('caf\u00e9 deploy');
    expect((await app.fail(CREATE_TOKEN, { input: { name: 'CAF\u00c9 deploy' } }, world.readOnly.session)).code).toBe('CONFLICT');
    for (const search of ['caf\u00e9', 'cafe\u0301']) {
      expect((await app.ok(LIST, { filter: { search } }, world.readOnly.session)).apiTokens.nodes.map((n: any) => n.id)).toEqual([t.id]);
    }
  });
});
