import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFromSDL, minifyIntrospection, outputIntrospectionFile } from '@gql.tada/internal';

/**
 * The console's operations are typed from console/src/graphql-env.d.ts, which gql.tada derives from
 * schema/schema.graphql (`npm run schema` regenerates both). A stale file would let the console
 * typecheck against an API that no longer exists.
 */
test('console/src/graphql-env.d.ts matches schema/schema.graphql (run `npm run schema`)', async () => {
  const root = join(__dirname, '../..');
  const introspection = await loadFromSDL({ file: join(root, 'schema/schema.graphql') }).loadIntrospection();
  expect(introspection).not.toBeNull();
  const expected = outputIntrospectionFile(minifyIntrospection(introspection!), { fileType: '.d.ts', shouldPreprocess: true });
  const committed = readFileSync(join(root, 'console/src/graphql-env.d.ts'), 'utf8');
  expect(committed === expected).toBe(true);
});
