import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchema, buildSchema as buildSdl } from 'graphql';
import { GENERATED_END, GENERATED_START, renderApiReference, withReference } from '../../src/api-reference';
import { buildBaseSchema } from '../../src/schema';

const docsPath = join(__dirname, '..', '..', 'docs', 'api.md');

test('docs/api.md is current with the schema and the permission map (run `npm run schema` after changing the API)', () => {
  const committed = readFileSync(docsPath, 'utf8');
  expect(withReference(committed, renderApiReference(buildBaseSchema()))).toBe(committed);
});

test('every query and mutation of the served schema has a section naming who may call it', () => {
  const schema: GraphQLSchema = buildBaseSchema();
  const reference = renderApiReference(schema);
  for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
    for (const name of Object.keys(root.getFields()).filter((n) => !n.startsWith('_'))) {
      const section = reference.split(`### \`${name}\`\n`)[1];
      expect(section).toBeDefined();
      expect(section.split('### ')[0]).toMatch(/Who may call it: [a-zA-Z]/);
    }
  }
});

test('a field the permission map does not list is documented as denied, like the map treats it', () => {
  const schema = buildSdl('type Query { me: String, unlisted: Int }');
  const reference = renderApiReference(schema);
  expect(reference.split('### `unlisted`')[1]).toContain('Who may call it: nobody.');
  expect(reference.split('### `me`')[1].split('###')[0]).toContain('Who may call it: anyone, anonymous included.');
});

test('regenerating keeps the hand-written half and replaces only what lies between the markers', () => {
  const doc = `# Title\n\nhand-written\n\n${GENERATED_START}\nold\n${GENERATED_END}\n`;
  expect(withReference(doc, `${GENERATED_START}\nnew\n${GENERATED_END}\n`)).toBe(`# Title\n\nhand-written\n\n${GENERATED_START}\nnew\n${GENERATED_END}\n`);
  expect(() => withReference('# no markers', 'x')).toThrow(/marker/);
});
