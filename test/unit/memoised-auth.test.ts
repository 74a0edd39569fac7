import { envelop, useEngine, useSchema } from '@envelop/core';
import { defaultProtectSingleValidateFn, useGenericAuth, ValidateUserFnParams } from '@envelop/generic-auth';
import * as graphql from 'graphql';
import { buildSchema } from 'graphql';
import { dependsOnVariables, useMemoisedGenericAuth } from '../../src/gateway/memoised-auth';

const SCHEMA = buildSchema(`
  directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE
  directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE
  type Query {
    name: String
    quantity: Int @requiresScopes(scopes: [["read"]])
    cost: Float @requiresScopes(scopes: [["admin"], ["read", "finance"]])
    viewer: String @authenticated
  }
`);
const ROOT = { name: 'widget', quantity: 12, cost: 2.5, viewer: 'me' };

type User = { scopes: string[] } | null;

/** The memoised plugin, or generic-auth itself (the reference every answer is compared with). */
function setup(mode: 'filter' | 'reject', memoised = true) {
  let walks = 0;
  const options = {
    mode: 'protect-granular' as const,
    resolveUserFn: (ctx: { user: User }) => ctx.user,
    extractScopes: (user: User) => user?.scopes ?? [],
    rejectUnauthenticated: mode === 'reject',
    validateUser: (params: ValidateUserFnParams<any>) => {
      walks += 1;
      return defaultProtectSingleValidateFn(params);
    },
  };
  const run = envelop({
    plugins: [
      useEngine(graphql),
      useSchema(SCHEMA),
      memoised ? useMemoisedGenericAuth(options, { scopesOf: (user) => (user ? (user as { scopes: string[] }).scopes : null) }) : useGenericAuth(options as never),
    ],
  });
  const parsed = new Map<string, graphql.DocumentNode>();
  async function exec(query: string, user: User, variables?: Record<string, unknown>, operationName?: string) {
    const { parse, contextFactory, execute, schema } = run({ user });
    // The gateway's parse cache hands out one document per query text: so does this.
    let document = parsed.get(query);
    if (!document) parsed.set(query, (document = parse(query)));
    const contextValue = await contextFactory({ user });
    const result = (await execute({ schema, document, rootValue: ROOT, contextValue, variableValues: variables, operationName })) as graphql.ExecutionResult;
    return { data: result.data, errors: (result.errors ?? []).map((e) => `${e.path?.join('.')}:${e.extensions?.code}`).sort() };
  }
  return { exec, walks: () => walks };
}

const ANON: User = null;
const READER: User = { scopes: ['read'] };
const FINANCE: User = { scopes: ['finance', 'read'] };
const FINANCE_REORDERED: User = { scopes: ['read', 'finance'] };
const Q = '{ name quantity cost viewer }';

/** Every request of `requests`, answered by generic-auth alone. */
async function reference(mode: 'filter' | 'reject', requests: Array<Parameters<ReturnType<typeof setup>['exec']>>) {
  const { exec } = setup(mode, false);
  const out = [];
  for (const r of requests) out.push(await exec(...r));
  return out;
}

test('each scope set gets its own verdict, replayed on later requests without a new walk', async () => {
  const { exec, walks } = setup('filter');
  const first = [await exec(Q, ANON), await exec(Q, READER), await exec(Q, FINANCE)];
  expect(first[0]).toEqual({
    data: { name: 'widget', quantity: null, cost: null, viewer: null },
    errors: ['cost:UNAUTHORIZED_FIELD_OR_TYPE', 'quantity:UNAUTHORIZED_FIELD_OR_TYPE', 'viewer:UNAUTHORIZED_FIELD_OR_TYPE'],
  });
  expect(first[1]).toEqual({ data: { name: 'widget', quantity: 12, cost: null, viewer: 'me' }, errors: ['cost:UNAUTHORIZED_FIELD_OR_TYPE'] });
  expect(first[2]).toEqual({ data: ROOT, errors: [] });
  const walked = walks();
  expect(walked).toBeGreaterThan(0);
  for (let round = 0; round < 3; round++) {
    expect(await exec(Q, FINANCE)).toEqual(first[2]);
    expect(await exec(Q, ANON)).toEqual(first[0]);
    expect(await exec(Q, READER)).toEqual(first[1]);
    expect(await exec(Q, FINANCE_REORDERED)).toEqual(first[2]); // the same set, listed in another order
  }
  expect(walks()).toBe(walked);
});

test('reject mode replays the refusal, and what is allowed stays allowed', async () => {
  const { exec, walks } = setup('reject');
  const requests: Array<Parameters<typeof exec>> = [
    [Q, READER],
    ['{ name quantity }', READER],
    ['{ name quantity }', ANON],
  ];
  const expected = await reference('reject', requests);
  expect(expected).toEqual([
    { data: null, errors: ['cost:UNAUTHORIZED_FIELD_OR_TYPE'] },
    { data: { name: 'widget', quantity: 12 }, errors: [] },
    { data: null, errors: ['quantity:UNAUTHORIZED_FIELD_OR_TYPE'] },
  ]);
  for (const r of requests) await exec(...r);
  const walked = walks();
  for (let i = 0; i < 3; i++) for (const [j, r] of requests.entries()) expect(await exec(...r)).toEqual(expected[j]);
  expect(walks()).toBe(walked);
});

test('operations of one document are remembered apart, each as generic-auth answers it', async () => {
  const { exec } = setup('filter');
  const doc = 'query Public { name } query Scoped { quantity }';
  const requests: Array<Parameters<typeof exec>> = [
    [doc, ANON, undefined, 'Public'],
    [doc, ANON, undefined, 'Scoped'],
    [doc, READER, undefined, 'Public'],
  ];
  const expected = await reference('filter', requests);
  expect(expected[1]).toEqual({ data: { quantity: null }, errors: ['quantity:UNAUTHORIZED_FIELD_OR_TYPE'] });
  for (let i = 0; i < 3; i++) for (const [j, r] of requests.entries()) expect(await exec(...r)).toEqual(expected[j]);
});

test('@include / @skip on a variable is authorized per request, never from memory', async () => {
  const { exec, walks } = setup('filter');
  const doc = 'query($full: Boolean!) { name quantity @include(if: $full) }';
  expect(dependsOnVariables(graphql.parse(doc))).toBe(true);
  expect(dependsOnVariables(graphql.parse('{ name quantity @include(if: true) }'))).toBe(false);
  const requests: Array<Parameters<typeof exec>> = [
    [doc, ANON, { full: false }],
    [doc, ANON, { full: true }],
  ];
  const expected = await reference('filter', requests);
  expect(expected).toEqual([
    { data: { name: 'widget' }, errors: [] },
    { data: { name: 'widget', quantity: null }, errors: ['quantity:UNAUTHORIZED_FIELD_OR_TYPE'] },
  ]);
  for (let i = 0; i < 2; i++) for (const [j, r] of requests.entries()) expect(await exec(...r)).toEqual(expected[j]);
  const before = walks();
  await exec(doc, ANON, { full: true });
  expect(walks()).toBeGreaterThan(before);
});
