import { Role } from '../../src/common/roles';
import { ROLE_SCOPES, scopesFor } from '../../src/authz/scopes';

describe('scopes from roles', () => {
  test.each([
    [Role.READ_ONLY, ['read']],
    [Role.MEMBER, ['read', 'write']],
    [Role.ADMIN, ['read', 'write', 'admin']],
    [Role.OWNER, ['read', 'write', 'admin']],
  ])('%s → %j', (role, expected) => {
    expect(scopesFor(role)).toEqual(expected);
  });

  test('an environment adds env:<name>', () => {
    expect(scopesFor(Role.MEMBER, 'production')).toEqual(['read', 'write', 'env:production']);
    expect(scopesFor(Role.READ_ONLY, null)).toEqual(['read']);
  });

  test('extra (catalog) scopes are appended once, malformed ones dropped', () => {
    expect(scopesFor(Role.READ_ONLY, 'ci', ['inventory:read', 'read', 'has space', ''])).toEqual(['read', 'env:ci', 'inventory:read']);
  });

  test('the role table cannot be changed at run time', () => {
    expect(() => (ROLE_SCOPES[Role.MEMBER] as string[]).push('admin')).toThrow();
    expect(scopesFor(Role.MEMBER)).toEqual(['read', 'write']);
  });
});
