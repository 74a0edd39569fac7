import type { Page } from 'playwright-core';
import { addUser, auth, createToken, LOGIN, PASSWORD, signUp, type Actor } from '../helpers/world';
import { setPolicy } from '../helpers/api-tokens';
import { axe, go, PHONE, serious, settled, shot, consoleForFile, signedIn } from './harness';

/**
 * Roles in the console (what each is offered), the admin screens, notifications and the profile,
 * an axe-core scan of every screen, and every screen at phone width.
 */
const h = consoleForFile();
let owner: Actor;
let member: Actor;
let readOnly: Actor;
beforeAll(async () => {
  owner = await signUp(h.app, 'Olivia Owner', 'Northwind');
  member = await addUser(h.app, owner, 'MEMBER', 'Max Member');
  readOnly = await addUser(h.app, owner, 'READ_ONLY', 'Rita Reader');
});

const DAY = 864e5;
const ADMIN_LINKS = ['Users', 'Account policy', 'Scopes catalog', 'Webhooks', 'Audit log'];
const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });
const row = (page: Page, text: string) => page.locator('tbody tr', { hasText: text });
/** Poll a condition (page.waitForFunction would evaluate a string in the page, which its CSP forbids). */
async function until(check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function expectClean(page: Page) {
  expect(serious(await axe(page))).toEqual([]);
}

describe('a MEMBER', () => {
  test('sees only the tokens they own or issued, no admin screen, and only roles up to their own', async () => {
    await createToken(h.app, owner, { name: 'owners-own' });
    await createToken(h.app, member, { name: 'members-own' });
    const page = await signedIn(h, member.email);
    await row(page, 'members-own').waitFor();
    expect(await row(page, 'owners-own').count()).toBe(0);
    for (const name of ADMIN_LINKS) expect(await nav(page).getByRole('link', { name }).count()).toBe(0);
    expect(await page.getByLabel('Issued by').count()).toBe(0); // no account-wide filters
    // An admin page reached by its address says so instead of crashing.
    await go(page, '/users');
    await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    await go(page, '/tokens/new');
    await page.getByLabel('Role').locator('option').first().waitFor({ state: 'attached' }); // allTextContents does not wait for the form
    const roles = await page.getByLabel('Role').locator('option').allTextContents();
    expect(roles).toEqual(['Member', 'Read-only']);
    expect(await page.getByLabel('Owner', { exact: true }).count()).toBe(0);
    await expectClean(page);
  });
});

describe('under an ADMINS_ONLY policy', () => {
  test('a MEMBER is offered no Create token and no Regenerate, and the form explains who may', async () => {
    const own = await createToken(h.app, member, { name: 'before-the-policy' });
    await setPolicy(h.app, owner, { tokenCreation: 'ADMINS_ONLY' });
    try {
      const page = await signedIn(h, member.email);
      await row(page, 'before-the-policy').waitFor();
      await settled(page); // the account's rules have arrived: an absent button means refused, not not-yet-loaded
      expect(await page.getByRole('link', { name: 'Create token' }).count()).toBe(0);
      await go(page, `/tokens/${own.id}`);
      await page.getByRole('heading', { level: 1, name: /before-the-policy/ }).waitFor();
      await page.getByRole('button', { name: 'Revoke' }).waitFor(); // revoking stays theirs
      await settled(page);
      expect(await page.getByRole('button', { name: 'Regenerate' }).count()).toBe(0);
      await go(page, '/tokens/new');
      await page.getByRole('heading', { name: 'Your role cannot create tokens here' }).waitFor();
      expect(await page.getByText('This account lets only owners and admins create and regenerate tokens.', { exact: false }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Create token' }).count()).toBe(0);
      await expectClean(page);
    } finally {
      await setPolicy(h.app, owner, { tokenCreation: 'ALL_MEMBERS' });
    }
  });
});

describe('a READ_ONLY user', () => {
  test('is offered nothing the API would refuse: read-only tokens of their own, no admin action anywhere', async () => {
    const page = await signedIn(h, readOnly.email);
    for (const name of ADMIN_LINKS) expect(await nav(page).getByRole('link', { name }).count()).toBe(0);
    await page.getByRole('link', { name: 'Create token' }).first().click();
    expect(await page.getByLabel('Role').locator('option').allTextContents()).toEqual(['Read-only']);
    await page.getByLabel('Name', { exact: true }).fill('reader-token');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('secret-panel').waitFor(); // under ALL_MEMBERS a READ_ONLY user may mint their own
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    const refused = await h.app.gql('mutation { revokeOtherSessions }', {}, auth.apiKey(secret));
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN'); // the token can only read
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: /I have copied it/ }).click();
    await page.getByRole('heading', { level: 1, name: /reader-token/ }).waitFor();
    await go(page, '/profile');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    expect(await page.getByText('ask an owner or admin to change it').isVisible()).toBe(true);
    await expectClean(page);
  });
});

describe('an admin', () => {
  let page: Page;

  test('issues a token for a member, then finds it with the issued-by and owner filters', async () => {
    page = await signedIn(h, owner.email);
    await createToken(h.app, member, { name: 'self-issued' });
    await page.getByRole('link', { name: 'Create token' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('for-max');
    const maxOption = (await page.getByLabel('Owner', { exact: true }).locator('option', { hasText: 'Max Member' }).textContent())!;
    await page.getByLabel('Owner', { exact: true }).selectOption({ label: maxOption });
    // The role is capped by the member's own role.
    expect(await page.getByLabel('Role').locator('option').allTextContents()).toEqual(['Member', 'Read-only']);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('secret-panel').waitFor();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: /I have copied it/ }).click();
    await page.getByRole('heading', { level: 1, name: /for-max/ }).waitFor();
    await page.getByRole('link', { name: 'API tokens' }).first().click();
    await row(page, 'for-max').waitFor();
    expect(await row(page, 'for-max').getByText('issued by Olivia Owner').isVisible()).toBe(true);
    await page.getByLabel('Issued by').selectOption({ label: 'Olivia Owner' });
    await page.waitForURL(/issuedBy=/);
    await row(page, 'self-issued').waitFor({ state: 'detached' });
    expect(await row(page, 'for-max').count()).toBe(1);
    await page.getByLabel('Issued by').selectOption({ label: 'Max Member' });
    await row(page, 'self-issued').waitFor();
    expect(await row(page, 'for-max').count()).toBe(0);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Owner', { exact: true }).selectOption({ label: 'Max Member' });
    await page.waitForURL(/owner=/);
    // Until the owner filter's answer comes, the page still shows an earlier list (the unfiltered one has
    // all three tokens): wait for that answer's count, as the API gives it, before looking at the rows.
    const maxs = (await h.app.ok('query($owner: ID!) { apiTokens(filter: { owner: $owner }) { totalCount } }', { owner: member.id }, owner.session)).apiTokens.totalCount;
    await page.getByText(`Showing 1–${maxs} of ${maxs}`, { exact: true }).waitFor();
    expect(await row(page, 'self-issued').isVisible()).toBe(true);
    expect(await row(page, 'for-max').isVisible()).toBe(true);
    expect(await row(page, 'owners-own').count()).toBe(0);
    await expectClean(page);
    await shot(page, 'tokens-admin-filtered', false);
  });

  test('users: add one, change a role after confirming, deactivate (their tokens stop) and reactivate', async () => {
    await go(page, '/users');
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    // The dialog opens on its first field, not on its close button: typing goes straight into the name.
    await page.waitForFunction("document.activeElement instanceof HTMLInputElement && document.activeElement.closest('dialog') !== null");
    await page.keyboard.type('Nina');
    expect(await dialog.getByLabel('Name').inputValue()).toBe('Nina');
    await dialog.getByLabel('Name').fill('Nina New');
    await dialog.getByLabel('E-mail').fill(`nina.${Date.now()}@example.com`);
    await dialog.getByLabel('Initial password').fill('short');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog
      .getByText(/password/i)
      .filter({ hasText: /12/ })
      .first()
      .waitFor(); // the API's reason, next to the field
    await dialog.getByLabel('Initial password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, 'Nina New').waitFor();
    await row(page, 'Nina New').getByLabel('Role of Nina New').selectOption('ADMIN');
    await page.getByRole('alertdialog', { name: 'Make Nina New Admin?' }).getByRole('button', { name: 'Change role' }).click();
    await until(async () => (await page.getByLabel('Role of Nina New').inputValue()) === 'ADMIN');
    const token = await createToken(h.app, member, { name: 'stops-on-deactivate' });
    await row(page, 'Max Member').getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('alertdialog', { name: 'Deactivate Max Member?' }).getByRole('button', { name: 'Deactivate' }).click();
    await row(page, 'Max Member').getByText('Deactivated').waitFor();
    expect((await h.app.gql('{ me { id } }', {}, auth.apiKey(token.secret))).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await expectClean(page);
    await shot(page, 'users');
    await row(page, 'Max Member').getByRole('button', { name: 'Reactivate' }).click();
    await page.getByRole('alertdialog', { name: 'Reactivate Max Member?' }).getByRole('button', { name: 'Reactivate' }).click();
    await row(page, 'Max Member').getByText('Active').waitFor();
    expect((await h.app.ok('{ me { id } }', {}, auth.apiKey(token.secret))).me.id).toBe(member.id);
  });

  test('policy: a bad value is explained next to its field; a good one is saved and shapes the create form', async () => {
    await go(page, '/policy');
    await page.getByRole('heading', { level: 1, name: 'Account policy' }).waitFor();
    await page.getByLabel('Active tokens allowed').fill('lots');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Enter a whole number of tokens.').waitFor();
    await page.getByLabel('Active tokens allowed').fill('0');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('.field-error', { hasText: /token limit/i }).waitFor(); // the API's BAD_USER_INPUT, by the field
    await page.getByLabel('Active tokens allowed').fill('40');
    await page.getByLabel('Default lifetime (days)').fill('30');
    await page.getByLabel('Maximum lifetime (days)').fill('90');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved.').waitFor();
    await expectClean(page);
    await shot(page, 'policy');
    await go(page, '/tokens/new');
    const expires = page.getByLabel('Expires', { exact: true });
    await expires.locator('option', { hasText: '30 days (account default)' }).waitFor({ state: 'attached' });
    expect(await expires.locator('option').allTextContents()).toEqual(['7 days', '30 days (account default)', '90 days', 'Pick a date…']);
    expect(await page.getByLabel('Expires', { exact: true }).inputValue()).toBe('30');
  });

  test('scopes catalog: add and remove a scope; the create form offers it', async () => {
    await go(page, '/scopes');
    await page.getByRole('heading', { level: 1, name: 'Scopes catalog' }).waitFor();
    await page.getByLabel('Name').fill('Not A Scope');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await page.locator('.field-error').first().waitFor();
    await page.getByLabel('Name').fill('inventory:write');
    await page.getByLabel('Description').fill('Change stock levels');
    await page.getByRole('button', { name: 'Add scope' }).click();
    await row(page, 'inventory:write').waitFor();
    await expectClean(page);
    await shot(page, 'scopes');
    await go(page, '/tokens/new');
    await page.getByLabel(/inventory:write/).waitFor();
    await go(page, '/scopes');
    await row(page, 'inventory:write').getByRole('button', { name: 'Remove inventory:write' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Remove scope' }).click();
    await row(page, 'inventory:write').waitFor({ state: 'detached' });
  });

  test('webhooks: the signing secret is shown once; deliveries are listed with their status', async () => {
    await go(page, '/webhooks');
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByLabel('Endpoint URL').fill('ftp://nope');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.locator('.field-error').first().waitFor();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook');
    await page.getByLabel(/A token is created/).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const dialog = page.getByRole('dialog', { name: /copy its signing secret/ });
    const secret = await dialog.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await createToken(h.app, owner, { name: 'fires-a-webhook' });
    await h.app.server.scheduler.runOnce();
    await row(page, '127.0.0.1:9').getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { level: 1, name: 'Deliveries' }).waitFor();
    await row(page, 'token.created').waitFor();
    expect(
      await row(page, 'token.created')
        .getByText(/no answer|HTTP/)
        .first()
        .isVisible(),
    ).toBe(true);
    expect(await page.content()).not.toContain(secret);
    await expectClean(page);
    await shot(page, 'webhook-deliveries');
  });

  test('audit log: filtered by action, with who, what and from where', async () => {
    await go(page, '/audit');
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    await page.getByLabel('Action').selectOption('user.deactivated');
    await page.waitForURL(/action=user.deactivated/);
    // The unfiltered rows stay on screen until the filtered answer comes: wait for its count, not for any row.
    await page.getByText('1 event', { exact: true }).waitFor();
    const rows = await page.locator('tbody tr').allTextContents();
    expect(rows.length).toBe(1);
    expect(rows[0]).toContain('User deactivated');
    expect(rows[0]).toContain('Olivia Owner');
    await page.getByLabel('Action').selectOption('');
    await row(page, 'Token created').first().waitFor();
    await expectClean(page);
    await shot(page, 'audit');
  });
});

describe('notifications', () => {
  test('the bell counts unread expiry notices; marking them read clears it', async () => {
    await createToken(h.app, owner, { name: 'expires-soon', expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await h.app.server.scheduler.runOnce();
    const page = await signedIn(h, owner.email);
    const bell = page.getByRole('link', { name: /Notifications, \d+ unread/ });
    await bell.waitFor();
    await bell.click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await page.locator('.notice', { hasText: 'expires-soon' }).first().waitFor();
    await expectClean(page);
    await shot(page, 'notifications');
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await page.getByRole('link', { name: 'Notifications', exact: true }).first().waitFor();
    expect(await page.getByRole('link', { name: /unread/ }).count()).toBe(0);
  });
});

describe('profile', () => {
  test('password change: the wrong current password is explained; the right one signs out every other session', async () => {
    const user = await addUser(h.app, owner, 'MEMBER', 'Paula Profile');
    const elsewhere = await h.app.ok(LOGIN, { email: user.email, password: PASSWORD });
    const page = await signedIn(h, user.email);
    await go(page, '/profile');
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
    await page.locator('.session').nth(2).waitFor(); // addUser's, the one above, this browser's
    expect(await page.getByText('This browser').count()).toBe(1);
    await expectClean(page);
    await shot(page, 'profile');
    await page.getByLabel('Current password').fill('not my password at all');
    await page.getByLabel('New password', { exact: true }).fill('a much better passphrase');
    await page.getByLabel('Repeat the new password').fill('a much better passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is not your current password.').waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText(/Password changed\. Every other session was signed out/).waitFor();
    const other = await h.app.gql('{ me { id } }', {}, auth.bearer(elsewhere.login.accessToken));
    expect(other.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await page.locator('.session').nth(1).waitFor({ state: 'detached' });
    expect(await page.locator('.session').count()).toBe(1);
    await h.app.ok(LOGIN, { email: user.email, password: 'a much better passphrase' });
  });

  test('sign out everywhere else, confirmed; this browser stays signed in', async () => {
    await h.app.ok(LOGIN, { email: readOnly.email, password: PASSWORD });
    const page = await signedIn(h, readOnly.email);
    await go(page, '/profile');
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out other sessions' }).click();
    await page.getByText(/other sessions were signed out/).waitFor();
    expect((await h.app.gql('{ me { id } }', {}, readOnly.session)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await page.getByRole('button', { name: 'Sign out everywhere else' }).waitFor({ state: 'detached' });
    await go(page, '/tokens');
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
  });
});

describe('at phone width (360 px)', () => {
  test('every screen fits, the menu opens from its button, and axe finds nothing serious', async () => {
    const page = await signedIn(h, owner.email, PHONE);
    const screens: Array<[string, string]> = [
      ['/tokens', 'API tokens'],
      ['/tokens/new', 'Create an API token'],
      ['/users', 'Users'],
      ['/policy', 'Account policy'],
      ['/scopes', 'Scopes catalog'],
      ['/webhooks', 'Webhooks'],
      ['/audit', 'Audit log'],
      ['/notifications', 'Notifications'],
      ['/profile', 'Profile'],
    ];
    for (const [path, title] of screens) {
      await go(page, path);
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await settled(page); // the screen with its data, not its loading state (networkidle does not wait after a pushState)
      await shot(page, `phone${path.replace(/\//g, '-')}`);
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect([path, overflow]).toEqual([path, 0]);
      expect(serious(await axe(page))).toEqual([]);
    }
    expect(await nav(page).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await nav(page).isVisible()).toBe(false);
  });

  test('the sign-in and sign-up pages', async () => {
    const page = await h.open(PHONE);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'phone-sign-in');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    expect(serious(await axe(page))).toEqual([]);
    void member;
  });
});
