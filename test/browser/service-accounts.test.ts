import type { Page } from 'playwright-core';
import { addUser, auth, createToken, signUp, type Actor } from '../helpers/world';
import { axe, go, PHONE, serious, settled, shot, signInInUi, consoleForFile, fieldError, focused, signedIn } from './harness';

/**
 * Service accounts in the console (issue #16, item 6): the Users screen lists people and service accounts
 * apart (a tab kept in the URL); OWNER/ADMIN add one, issue it a token (the shown-once panel as for any
 * token), see its tokens and deactivate it (its tokens stop). Real service, real Chromium.
 */
const h = consoleForFile();

const ME = '{ me { id name kind } }';
const nav = (page: Page) => page.getByRole('navigation', { name: 'Console' });
const tabs = (page: Page) => page.getByRole('navigation', { name: 'Kinds of user' });
const row = (page: Page, text: string) => page.locator('tbody tr', { hasText: text });

describe('an owner', () => {
  let ada: Actor;
  let page: Page;
  let account: { id: string; name: string };
  let secret: string;

  beforeAll(async () => {
    ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    await addUser(h.app, ada, 'MEMBER', 'Max Member');
    page = await signedIn(h, ada.email);
  });

  test('sees people and service accounts apart: the tab is in the URL and Back returns to it', async () => {
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    expect(await tabs(page).getByRole('link', { name: 'People' }).getAttribute('aria-current')).toBe('page');
    await row(page, 'Max Member').waitFor();
    await tabs(page).getByRole('link', { name: 'Service accounts' }).click();
    await page.getByRole('heading', { name: 'No service accounts yet' }).waitFor();
    expect(page.url()).toMatch(/\/console\/users\?kind=service$/);
    expect(await tabs(page).getByRole('link', { name: 'Service accounts' }).getAttribute('aria-current')).toBe('page');
    expect(await row(page, 'Max Member').count()).toBe(0);
    await page.goBack();
    await row(page, 'Max Member').waitFor();
    expect(await page.getByRole('button', { name: 'Add user' }).isVisible()).toBe(true);
    await page.goForward();
    await page.getByRole('heading', { name: 'No service accounts yet' }).waitFor();
    expect(serious(await axe(page))).toEqual([]);
  });

  test('adding one: the dialog opens on its name; the API’s refusals appear under the field; then it is listed, with no e-mail', async () => {
    await page.getByRole('button', { name: 'Add service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a service account' });
    await page.waitForFunction("document.activeElement instanceof HTMLInputElement && document.activeElement.closest('dialog') !== null");
    await page.keyboard.type('CI');
    expect(await dialog.getByLabel('Name').inputValue()).toBe('CI');
    expect(await dialog.getByLabel('Role').locator('option').allTextContents()).toEqual(['Owner', 'Admin', 'Member', 'Read-only']);
    await dialog.getByLabel('Name').fill('');
    await dialog.getByRole('button', { name: 'Add service account' }).click();
    const nameErr = fieldError(page, 'Name');
    await nameErr.waitFor();
    expect((await nameErr.textContent())!.trim()).toMatch(/^The name must be 1 to 100 characters/);
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Name').fill('CI deploy');
    await dialog.getByLabel(/Contact e-mail/).fill('not-an-address');
    await dialog.getByRole('button', { name: 'Add service account' }).click();
    const emailErr = fieldError(page, /Contact e-mail/);
    await emailErr.waitFor();
    expect((await emailErr.textContent())!.trim()).toMatch(/e-?mail/i);
    expect(serious(await axe(page))).toEqual([]);
    expect((await h.app.ok('{ users(kind: SERVICE) { totalCount } }', {}, ada.session)).users.totalCount).toBe(0);

    await dialog.getByLabel(/Contact e-mail/).fill('');
    await dialog.getByLabel('Role').selectOption('MEMBER');
    await dialog.getByRole('button', { name: 'Add service account' }).click();
    await dialog.waitFor({ state: 'detached' });
    const r = row(page, 'CI deploy');
    await r.waitFor();
    expect(await r.getByText('No contact e-mail').isVisible()).toBe(true);
    expect(await r.getByLabel('Role of CI deploy').inputValue()).toBe('MEMBER');
    await page.getByText('Service account CI deploy added.').waitFor();
    const saved = (await h.app.ok('{ users(kind: SERVICE) { nodes { id name email role kind status } } }', {}, ada.session)).users.nodes;
    expect(saved).toEqual([expect.objectContaining({ name: 'CI deploy', email: '', role: 'MEMBER', kind: 'SERVICE', status: 'ACTIVE' })]);
    account = saved[0];
    // Not among the people.
    await tabs(page).getByRole('link', { name: 'People' }).click();
    await row(page, 'Max Member').waitFor();
    expect(await row(page, 'CI deploy').count()).toBe(0);
    await page.goBack();
    await row(page, 'CI deploy').waitFor();
    await shot(page, 'service-accounts');
  });

  test('issuing it a token: Issue token opens the create form for it; the shown-once panel; the token acts as the service account', async () => {
    await row(page, 'CI deploy').getByRole('link', { name: 'Issue token for CI deploy' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create an API token' }).waitFor();
    expect(page.url()).toContain(`/tokens/new?owner=${account.id}`);
    const owner = page.getByLabel('Owner', { exact: true });
    await page.waitForFunction(`document.querySelector('option[value="${account.id}"]') !== null`);
    expect(await owner.inputValue()).toBe(account.id);
    expect(await owner.locator('option:checked').textContent()).toBe('CI deploy — service account (Member)');
    expect(await page.getByLabel('Role').locator('option').allTextContents()).toEqual(['Member', 'Read-only']);
    await page.getByLabel('Name', { exact: true }).fill('deploy-pipeline');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('secret-panel').waitFor();
    expect(await page.getByText('Copy the secret now: it will not be shown again.').isVisible()).toBe(true);
    secret = await page.locator('#secret-value').inputValue();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    expect((await h.app.ok(ME, {}, auth.apiKey(secret))).me).toEqual({ id: account.id, name: 'CI deploy', kind: 'SERVICE' });
    await page.getByRole('button', { name: /I have copied it/ }).click();
    await page.getByRole('heading', { level: 1, name: /deploy-pipeline/ }).waitFor();
    expect(await page.getByText('CI deploy', { exact: true }).first().isVisible()).toBe(true);
  });

  test('its tokens: the Tokens link lists them; deactivating it (confirmed) stops them at once, reactivating brings them back', async () => {
    await go(page, '/users?kind=service');
    await row(page, 'CI deploy').getByRole('link', { name: 'Tokens of CI deploy' }).click();
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    expect(page.url()).toContain(`owner=${account.id}`);
    await page.locator('tbody tr', { hasText: 'deploy-pipeline' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.goBack();
    const r = row(page, 'CI deploy');
    await r.getByRole('button', { name: 'Deactivate' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Deactivate CI deploy?' });
    expect(await dialog.getByText('Every one of its API tokens stops authenticating at once, until you reactivate it.').isVisible()).toBe(true);
    expect(await focused(page)).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Deactivate' }).click();
    await dialog.waitFor({ state: 'detached' });
    await r.getByText('Deactivated').waitFor();
    // No token is issued for a deactivated service account.
    expect(await r.getByRole('link', { name: 'Issue token for CI deploy' }).count()).toBe(0);
    const refused = await h.app.gql(ME, {}, auth.apiKey(secret));
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await r.getByRole('button', { name: 'Reactivate' }).click();
    await page.getByRole('alertdialog', { name: 'Reactivate CI deploy?' }).getByRole('button', { name: 'Reactivate' }).click();
    await r.getByText('Active', { exact: true }).waitFor();
    expect((await h.app.ok(ME, {}, auth.apiKey(secret))).me.name).toBe('CI deploy');
  });

  test('keyboard only: the tabs are reached and followed with Tab and Enter', async () => {
    await go(page, '/users');
    await row(page, 'Max Member').waitFor();
    await page.locator('body').focus();
    for (let i = 0; i < 40 && (await focused(page)) !== 'Service accounts'; i++) await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Service accounts');
    await page.keyboard.press('Enter');
    await row(page, 'CI deploy').waitFor();
    expect(page.url()).toContain('kind=service');
  });

  test('at 360 px the service-account list fits with nothing serious for axe', async () => {
    const phone = await h.open(PHONE);
    await signInInUi(phone, ada.email);
    await go(phone, '/users?kind=service');
    await row(phone, 'CI deploy').waitFor();
    await settled(phone); // the screen with all its answers (networkidle does not wait after a pushState)
    expect((await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number).toBe(0);
    expect(serious(await axe(phone))).toEqual([]);
    await shot(phone, 'phone-service-accounts');
    await phone.getByRole('button', { name: 'Add service account' }).click();
    await phone.getByRole('dialog', { name: 'Add a service account' }).waitFor();
    expect((await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number).toBe(0);
    expect(serious(await axe(phone))).toEqual([]);
  });
});

describe('an admin', () => {
  test('adds a service account with at most their own role, and its tokens outlive the admin', async () => {
    const ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    const alan = await addUser(h.app, ada, 'ADMIN', 'Alan Admin');
    const page = await signedIn(h, alan.email);
    await go(page, '/users?kind=service');
    await page.getByRole('button', { name: 'Add service account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a service account' });
    expect(await dialog.getByLabel('Role').locator('option').allTextContents()).toEqual(['Admin', 'Member', 'Read-only']);
    await dialog.getByLabel('Name').fill('Nightly backup');
    await dialog.getByLabel('Role').selectOption('READ_ONLY');
    await dialog.getByLabel(/Contact e-mail/).fill(`backup.${Date.now()}@example.com`);
    await dialog.getByRole('button', { name: 'Add service account' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, 'Nightly backup').waitFor();
    const sa = (await h.app.ok('{ users(kind: SERVICE) { nodes { id role } } }', {}, ada.session)).users.nodes[0];
    expect(sa.role).toBe('READ_ONLY');
    await page.getByRole('link', { name: 'issue its first token' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create an API token' }).waitFor();
    await page.waitForFunction(`document.querySelector('option[value="${sa.id}"]') !== null`);
    expect(await page.getByLabel('Owner', { exact: true }).inputValue()).toBe(sa.id);
    await page.getByLabel('Name', { exact: true }).fill('backup-reader');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('secret-panel').waitFor();
    const secret = await page.locator('#secret-value').inputValue();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    // Deactivating the admin who issued it leaves the service account's token working.
    await h.app.ok('mutation($id: ID!) { deactivateUser(id: $id) { id } }', { id: alan.id }, ada.session);
    expect((await h.app.ok(ME, {}, auth.apiKey(secret))).me.name).toBe('Nightly backup');
  });
});

describe('a MEMBER', () => {
  test('is offered no Users screen and no way to add a service account; the address says so instead of crashing', async () => {
    const ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    const max = await addUser(h.app, ada, 'MEMBER', 'Max Member');
    await h.app.ok('mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }', { input: { name: 'CI deploy', role: 'MEMBER' } }, ada.session);
    await createToken(h.app, max, { name: 'max-own' });
    const page = await signedIn(h, max.email);
    expect(await nav(page).getByRole('link', { name: 'Users' }).count()).toBe(0);
    await go(page, '/users?kind=service');
    await page.getByRole('heading', { name: 'Not available to your role' }).waitFor();
    expect(await page.getByRole('button', { name: 'Add service account' }).count()).toBe(0);
    expect(await page.getByText('CI deploy').count()).toBe(0);
    // Nor can they issue a token for it: the create form has no owner choice.
    await go(page, '/tokens/new');
    await page.getByRole('heading', { level: 1, name: 'Create an API token' }).waitFor();
    expect(await page.getByLabel('Owner', { exact: true }).count()).toBe(0);
    expect(serious(await axe(page))).toEqual([]);
  });
});
