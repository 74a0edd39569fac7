import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObjectType } from 'graphql';
import { FALLBACK_RULE, PERMISSIONS, RULES } from '../../src/authz/permissions';
import { buildSubgraph } from '../../src/schema';

/*
 * Who can reach what, as a reviewed artefact. Every root field and every object
 * field is listed with the rule that guards it; the committed snapshot must
 * match. When you change a rule, regenerate with
 *   UPDATE_PERMISSIONS_SNAPSHOT=1 npm test -- test/unit/permissions
 * and let the diff show reviewers exactly whose access changed.
 */
const SNAPSHOT = join(__dirname, 'permissions.snapshot.txt');

function permissionTable(): string {
  const schema = buildSubgraph();
  const lines: string[] = [];
  for (const type of Object.values(schema.getTypeMap()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (type.name.startsWith('__') || !isObjectType(type)) continue;
    for (const field of Object.keys(type.getFields()).sort()) {
      const rules = PERMISSIONS[type.name] ?? {};
      const rule = rules[field] ?? rules['*'] ?? `${FALLBACK_RULE} (fallback)`;
      lines.push(`${type.name}.${field}: ${rule}`);
    }
  }
  return lines.join('\n') + '\n';
}

test('the permission map matches the reviewed snapshot', () => {
  const table = permissionTable();
  if (process.env.UPDATE_PERMISSIONS_SNAPSHOT === '1') writeFileSync(SNAPSHOT, table);
  expect(table).toBe(readFileSync(SNAPSHOT, 'utf8'));
});

test('no field is left to the fallback rule', () => {
  expect(permissionTable()).not.toContain('(fallback)');
});

test('every rule in the map names a real type and field', () => {
  const schema = buildSubgraph();
  for (const [typeName, fields] of Object.entries(PERMISSIONS)) {
    const type = schema.getType(typeName);
    expect(type && isObjectType(type) ? typeName : `missing type ${typeName}`).toBe(typeName);
    if (!type || !isObjectType(type)) continue;
    for (const [field, rule] of Object.entries(fields)) {
      if (field !== '*') expect(Object.keys(type.getFields())).toContain(field);
      expect(Object.keys(RULES)).toContain(rule);
    }
  }
});

test('mutations are never public to READ_ONLY tokens and admin mutations need an admin', () => {
  for (const [field, rule] of Object.entries(PERMISSIONS.Mutation)) {
    expect([field, ['publicMutation', 'writer', 'adminWriter'].includes(rule)]).toEqual([field, true]);
  }
  for (const admin of ['createUser', 'updateUserRole', 'deactivateUser', 'reactivateUser', 'updateAccountPolicy']) {
    expect(PERMISSIONS.Mutation[admin]).toBe('adminWriter');
  }
});
