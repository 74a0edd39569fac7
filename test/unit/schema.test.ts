import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaFile } from '../../src/schema-printer';

test('schema/schema.graphql is current (run `npm run schema` after changing the API)', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
  expect(printSchemaFile()).toBe(committed);
});

test('the generated schema keeps the public contract names', () => {
  const sdl = printSchemaFile();
  for (const name of [
    'enum Role',
    'enum TokenStatus',
    'enum TokenCreationPolicy',
    'type ApiTokenConnection',
    'type CreatedApiToken',
    'input ApiTokenFilter',
    'createApiToken(input: CreateApiTokenInput!): CreatedApiToken!',
    'deleteApiToken(id: ID!): ID!',
    'revokeApiToken(id: ID!): ApiToken!',
    'first: Int = 20',
    'filter: ApiTokenFilter',
    'gracePeriodSeconds: Int = 0',
    'scalar DateTime',
  ]) {
    expect(sdl).toContain(name);
  }
});
