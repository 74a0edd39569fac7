import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envelop, Plugin, useEngine, useSchema } from '@envelop/core';
import { useGenericAuth } from '@envelop/generic-auth';
import * as graphql from 'graphql';
import { isObjectType } from 'graphql';
import { PERMISSIONS, RULES } from '../../src/authz/permissions';
import { isGenericAuthRule, validationState } from '../../src/gateway/memoised-auth';
import { buildSchema, buildSubgraph } from '../../src/schema';

/*
 * Two speed tricks rest on other packages' internals, not their public API:
 *
 * - src/schema.ts gives fields whose rule is `allow` their own resolver back, undoing
 *   graphql-middleware's wrapper (applied by graphql-shield), which must therefore build a
 *   new schema and leave the plain one's resolvers alone;
 * - src/gateway/memoised-auth.ts finds @envelop/extended-validation's per-request state by
 *   its symbol's description, and generic-auth's rule by its function name.
 *
 * Those packages are pinned exactly in package.json. An upgrade must pass these tests, which
 * fail loudly (not by quietly losing the speed, or worse) when the internals move.
 */

const PINNED = ['graphql-shield', 'graphql-middleware', '@envelop/extended-validation', '@envelop/generic-auth'];

const ROOT = join(__dirname, '..', '..');
const manifest = (path: string) => JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

test.each(PINNED)('%s is pinned to one exact version, and that version is installed', (name) => {
  const spec = manifest('.').dependencies[name];
  expect(spec).toMatch(/^\d+\.\d+\.\d+$/);
  expect(manifest(`node_modules/${name}`).version).toBe(spec);
});

test('graphql-middleware wraps resolvers in a new schema; schema.ts hands `allow` fields their own resolver back', () => {
  const plain = buildSubgraph();
  const shielded = buildSchema();
  expect(shielded).not.toBe(plain);
  let allowed = 0;
  let guarded = 0;
  for (const [typeName, fields] of Object.entries(PERMISSIONS)) {
    const type = shielded.getType(typeName);
    const original = plain.getType(typeName);
    if (!isObjectType(type) || !isObjectType(original)) continue;
    for (const [fieldName, rule] of Object.entries(fields)) {
      if (fieldName === '*' || !type.getFields()[fieldName]) continue;
      const mine = original.getFields()[fieldName].resolve;
      const served = type.getFields()[fieldName].resolve;
      if (RULES[rule] === RULES.public) {
        expect(served).toBe(mine);
        allowed += 1;
      } else {
        // Still behind shield: a wrapper, not the plain resolver (graphql-middleware did not mutate `plain`).
        expect(served).toEqual(expect.any(Function));
        expect(served).not.toBe(mine);
        guarded += 1;
      }
    }
  }
  expect(allowed).toBeGreaterThan(0);
  expect(guarded).toBeGreaterThan(10);
});

test('@envelop/extended-validation keeps its per-request state where memoised-auth looks for it', async () => {
  const schema = graphql.buildSchema(`
    directive @authenticated on FIELD_DEFINITION
    type Query { viewer: String @authenticated }
  `);
  let seen: ReturnType<typeof validationState>;
  const spy: Plugin = {
    onExecute({ args }) {
      seen = validationState(args.contextValue);
    },
  };
  const run = envelop({
    plugins: [useEngine(graphql), useSchema(schema), useGenericAuth({ mode: 'protect-granular', resolveUserFn: () => ({ scopes: [] }) } as never), spy],
  });
  const { parse, contextFactory, execute } = run({});
  const contextValue = await contextFactory({});
  await execute({ schema, document: parse('{ viewer }'), contextValue, rootValue: { viewer: 'me' } });
  expect(seen).toBeDefined();
  expect(typeof seen!.didRun).toBe('boolean');
  expect(seen!.rules.some(isGenericAuthRule)).toBe(true);
});
