import { createHash, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { addUser, auth, createToken, signUp, type Actor } from '../helpers/world';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { newId } from '../../src/common/ids';
import { axe, DESKTOP, go, PHONE, serious, shot, signInInUi, consoleForFile, rowByLink, focused, openToken, signedIn } from './harness';

/**
 * Token governance in the console (issue #16): edit a token's name and description, disable and enable it
 * (detail page), and revoke every token the list's filter matches (OWNER/ADMIN) — in headless Chromium
 * against the real service, each with the API's refusals shown as sentences and usable from the keyboard.
 */
const h = consoleForFile();

const ME = '{ me { id name } }';
const TOKEN = 'query($id: ID!) { apiToken(id: $id) { id name description status disabledBy { name } revokedBy { name } } }';
const row = rowByLink;

/** Tab until the focused element's text is `text` (the focus must get there from the keyboard alone). */
async function tabTo(page: Page, text: string, max = 40) {
  for (let i = 0; i < max; i++) {
    if ((await focused(page)) === text) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached “${text}” (focus on “${await focused(page)}”)`);
}

describe('token detail: edit, disable, enable', () => {
  let ada: Actor;
  let page: Page;
  let token: { id: string; secret: string };

  beforeAll(async () => {
    ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    token = await createToken(h.app, ada, { name: 'ci-deploy', description: 'GitHub Actions' });
    await createToken(h.app, ada, { name: 'npm-publish' });
    page = await signedIn(h, ada.email);
  });

  test('Edit: an inline form, focused on the name; saving renames the token and changes its description', async () => {
    await openToken(page, token.id, 'ci-deploy');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit token' });
    await page.waitForFunction("document.activeElement instanceof HTMLInputElement && document.activeElement.name === 'name'");
    expect(await form.getByLabel('Name').inputValue()).toBe('ci-deploy');
    expect(await form.getByLabel('Description').inputValue()).toBe('GitHub Actions');
    expect(serious(await axe(page))).toEqual([]);
    await form.getByLabel('Name').fill('ci-release');
    await form.getByLabel('Description').fill('GitHub Actions: releases tags');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: /ci-release/ }).waitFor();
    await page.locator('.page-desc', { hasText: 'GitHub Actions: releases tags' }).waitFor();
    const saved = (await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken;
    expect(saved).toMatchObject({ name: 'ci-release', description: 'GitHub Actions: releases tags' });
  });

  test('Edit refused: a name the owner already uses (CONFLICT) and an empty name (BAD_USER_INPUT) show under the name field; Cancel leaves it unchanged', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit token' });
    const name = form.getByLabel('Name');
    await name.fill('NPM-publish'); // names are unique regardless of letter case
    await form.getByRole('button', { name: 'Save changes' }).click();
    const conflict = form.locator('.field-error').first();
    await conflict.waitFor();
    expect(await conflict.textContent()).toMatch(/The name is already used by another token of this user; choose another name/);
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await name.getAttribute('aria-describedby')).toContain((await conflict.getAttribute('id'))!);
    await name.fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const empty = form.locator('.field-error', { hasText: 'characters long' });
    await empty.waitFor();
    const text = (await empty.textContent())!.trim();
    expect(text).toBe('The name must be 1 to 100 characters long.'); // a sentence naming the field, not "input.name: …"
    expect(text).not.toMatch(/Error|stack|at .+\.js/);
    expect(serious(await axe(page))).toEqual([]);
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken.name).toBe('ci-release');
  });

  test('Disable, confirmed by a dialog naming the token: the badge says Disabled, the API refuses the secret, the list filter finds it', async () => {
    expect((await h.app.ok(ME, {}, auth.apiKey(token.secret))).me.name).toBe('Ada Lovelace');
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Disable “ci-release”?' });
    await dialog.waitFor();
    expect(await dialog.getByText(/Its secret stays the same/).isVisible()).toBe(true);
    expect(serious(await axe(page))).toEqual([]);
    await dialog.getByRole('button', { name: 'Disable token' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('h1 .badge', { hasText: 'Disabled' }).waitFor();
    await page.getByText(/This token has been disabled since .+ by Ada Lovelace/).waitFor();
    expect(await page.getByRole('button', { name: 'Enable', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Disable', exact: true }).count()).toBe(0);
    const refused = await h.app.gql(ME, {}, auth.apiKey(token.secret));
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const history = page.locator('section.card', { has: page.getByRole('heading', { name: 'History' }) });
    await history.getByText('Token disabled', { exact: true }).waitFor();
    expect(await history.getByText('Token edited', { exact: true }).isVisible()).toBe(true);
    await shot(page, 'token-disabled');
    await page.setViewportSize(PHONE);
    expect(serious(await axe(page))).toEqual([]);
    await page.setViewportSize(DESKTOP);
    await page.getByRole('link', { name: 'API tokens' }).first().click();
    await row(page, 'npm-publish').waitFor();
    // The list keeps showing the unfiltered rows (ci-release already Disabled among them) until the filtered
    // answer arrives, and says so: held back here, the table is marked busy (and dimmed) over the old rows.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/graphql', async (route) => {
      if ((route.request().postData() ?? '').includes('"status":["DISABLED"]')) await held;
      await route.continue();
    });
    await page.getByLabel('Status').selectOption('DISABLED');
    await page.locator('.table-wrap[aria-busy="true"]').waitFor();
    expect(await row(page, 'npm-publish').count()).toBe(1); // the previous answer's row, shown as not current
    release();
    // Wait for that answer (its count), not for a row the stale list already has.
    await page.getByText('Showing 1–1 of 1', { exact: true }).waitFor();
    await page.locator('.table-wrap[aria-busy="false"]').waitFor();
    await page.unroute('**/graphql');
    expect(await row(page, 'ci-release').getByText('Disabled', { exact: true }).isVisible()).toBe(true);
    expect(await row(page, 'npm-publish').count()).toBe(0);
    expect(page.url()).toContain('status=DISABLED');
  });

  test('Enable brings the same secret back', async () => {
    await row(page, 'ci-release').getByRole('link', { name: 'ci-release' }).click();
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Enable “ci-release”?' });
    await dialog.getByRole('button', { name: 'Enable token' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('h1 .badge', { hasText: 'Active' }).waitFor();
    expect(await page.getByText(/This token has been disabled/).count()).toBe(0);
    expect((await h.app.ok(ME, {}, auth.apiKey(token.secret))).me.name).toBe('Ada Lovelace');
  });

  test('keyboard only: Edit, type, Enter saves; Disable, Tab to the confirm button, Enter', async () => {
    await page.locator('body').focus();
    await tabTo(page, 'Edit');
    await page.keyboard.press('Enter');
    await page.waitForFunction("document.activeElement instanceof HTMLInputElement && document.activeElement.name === 'name'");
    await page.keyboard.press('End');
    await page.keyboard.type('-v2');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /ci-release-v2/ }).waitFor();
    await page.locator('body').focus();
    await tabTo(page, 'Disable');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Disable “ci-release-v2”?' });
    await dialog.waitFor();
    expect(await focused(page)).toBe('Cancel'); // the safe choice has the focus
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('Disable token');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.locator('h1 .badge', { hasText: 'Disabled' }).waitFor();
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken).toMatchObject({ name: 'ci-release-v2', status: 'DISABLED', disabledBy: { name: 'Ada Lovelace' } });
  });

  test('Enable refused: a member cannot enable a token an admin disabled (FORBIDDEN, as a sentence in the dialog); the token stays disabled', async () => {
    const max = await addUser(h.app, ada, 'MEMBER', 'Max Member');
    const own = await createToken(h.app, max, { name: 'max-laptop' });
    await h.app.ok('mutation($id: ID!) { disableApiToken(id: $id) { id } }', { id: own.id }, ada.session);
    const maxPage = await h.open();
    await signInInUi(maxPage, max.email);
    await openToken(maxPage, own.id, 'max-laptop');
    await maxPage.getByText(/This token has been disabled since .+ by Ada Lovelace/).waitFor();
    await maxPage.getByRole('button', { name: 'Enable', exact: true }).click();
    const dialog = maxPage.getByRole('alertdialog', { name: 'Enable “max-laptop”?' });
    await dialog.getByRole('button', { name: 'Enable token' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent())!;
    expect(text.length).toBeGreaterThan(10);
    expect(text).toMatch(/\.$/);
    expect(text).not.toMatch(/FORBIDDEN|stack|\{/);
    expect(serious(await axe(maxPage))).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await h.app.ok(TOKEN, { id: own.id }, ada.session)).apiToken.status).toBe('DISABLED');
    expect((await h.app.gql(ME, {}, auth.apiKey(own.secret))).status).toBe(401);
  });
});

describe('tokens list: revoke all matching (OWNER/ADMIN)', () => {
  let ada: Actor;
  let charles: Actor;
  let page: Page;

  beforeAll(async () => {
    ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    charles = await addUser(h.app, ada, 'MEMBER', 'Charles Babbage');
    page = await signedIn(h, ada.email);
  });

  test('a member is not offered it', async () => {
    await createToken(h.app, charles, { name: 'charles-own' });
    const p = await h.open();
    await signInInUi(p, charles.email);
    await row(p, 'charles-own').waitFor();
    expect(await p.getByRole('button', { name: 'Revoke all matching…' }).count()).toBe(0);
  });

  test('the dialog states the filter and the 1,000 cap; with a reason, from the keyboard, it revokes exactly the matching tokens and says how many', async () => {
    const prodA = await createToken(h.app, ada, { name: 'prod-a', environment: 'production' });
    const prodB = await createToken(h.app, ada, { name: 'prod-b', environment: 'production' });
    const prodC = await createToken(h.app, ada, { name: 'prod-charles', environment: 'production', ownerId: charles.id });
    const staging = await createToken(h.app, ada, { name: 'staging-a', environment: 'staging' });
    await go(page, '/tokens');
    await page.getByLabel('Environment').fill('production');
    await page.waitForURL(/env=production/);
    await page.getByText('Showing 1–3 of 3', { exact: true }).waitFor(); // the filtered answer, not the unfiltered rows still shown until it comes
    expect(await row(page, 'prod-charles').isVisible()).toBe(true);
    expect(await row(page, 'staging-a').count()).toBe(0);
    await page.locator('body').focus();
    await tabTo(page, 'Revoke all matching…');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Revoke all matching tokens?' });
    await dialog.waitFor();
    expect(await dialog.getByText('Environment: production').isVisible()).toBe(true);
    expect(await dialog.getByText('Status: active or disabled').isVisible()).toBe(true);
    expect(await dialog.getByText(/At most 1,000 tokens are revoked per call/).isVisible()).toBe(true);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'tokens-revoke-matching');
    await page.setViewportSize(PHONE);
    expect(serious(await axe(page))).toEqual([]);
    await page.setViewportSize(DESKTOP);
    expect(await focused(page)).toBe('Cancel');
    await page.keyboard.press('Shift+Tab'); // the reason field, just above the buttons
    expect(await page.evaluate('document.activeElement.name')).toBe('reason');
    await page.keyboard.type('Rotation after the CI incident');
    await tabTo(page, 'Revoke matching tokens', 3);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText('Revoked 3 tokens. No matching token remains active or disabled.').waitFor();
    await row(page, 'prod-a').getByText('Revoked').waitFor();
    for (const t of [prodA, prodB, prodC]) {
      expect((await h.app.ok(TOKEN, { id: t.id }, ada.session)).apiToken).toMatchObject({ status: 'REVOKED', revokedBy: { name: 'Ada Lovelace' } });
      expect((await h.app.gql(ME, {}, auth.apiKey(t.secret))).status).toBe(401);
    }
    expect((await h.app.ok(TOKEN, { id: staging.id }, ada.session)).apiToken.status).toBe('ACTIVE');
    const notices = await h.app.ok('{ notifications(first: 10) { nodes { kind reason token { name } } } }', {}, charles.session);
    expect(notices.notifications.nodes).toContainEqual({ kind: 'TOKEN_REVOKED', reason: 'Rotation after the CI incident', token: { name: 'prod-charles' } });
    // Charles's console says what happened, by whom and why (not "expires today", as an expiry notice would).
    const cp = await h.open();
    await signInInUi(cp, charles.email);
    await go(cp, '/notifications');
    const notice = cp.locator('.notice', { hasText: 'prod-charles' });
    await notice.getByText(`was revoked by Ada Lovelace <${ada.email}>`).waitFor();
    await notice.getByText('Reason: Rotation after the CI incident').waitFor();
    expect(await notice.getByText(/expires/).count()).toBe(0);
    expect(serious(await axe(cp))).toEqual([]);
    await cp.close();
  });

  test('refused: a reason over 200 characters is shown under the reason field, and nothing is revoked', async () => {
    await go(page, '/tokens?env=staging');
    await row(page, 'staging-a').waitFor();
    await page.getByRole('button', { name: 'Revoke all matching…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke all matching tokens?' });
    await dialog.getByLabel(/Reason/).fill('x'.repeat(201));
    await dialog.getByRole('button', { name: 'Revoke matching tokens' }).click();
    const error = dialog.locator('.field-error');
    await error.waitFor();
    expect((await error.textContent())!.trim()).toBe('The reason must be at most 200 characters long.');
    expect(await dialog.getByLabel(/Reason/).getAttribute('aria-invalid')).toBe('true');
    expect(serious(await axe(page))).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await row(page, 'staging-a').getByText('Active').isVisible()).toBe(true);
  });

  test('refused: an admin demoted while the dialog is open gets the API’s FORBIDDEN as a sentence, and nothing is revoked', async () => {
    const bea = await addUser(h.app, ada, 'ADMIN', 'Bea Admin');
    const p = await h.open();
    await signInInUi(p, bea.email);
    await go(p, '/tokens?env=staging');
    await row(p, 'staging-a').waitFor();
    await p.getByRole('button', { name: 'Revoke all matching…' }).click();
    const dialog = p.getByRole('alertdialog', { name: 'Revoke all matching tokens?' });
    await dialog.waitFor();
    await h.app.ok('mutation($id: ID!) { updateUserRole(id: $id, role: MEMBER) { id } }', { id: bea.id }, ada.session);
    await dialog.getByRole('button', { name: 'Revoke matching tokens' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent())!;
    expect(text).toMatch(/\.$/);
    expect(text).not.toMatch(/FORBIDDEN|stack|\{/);
    expect(await dialog.isVisible()).toBe(true);
    const staging = await h.app.ok('{ apiTokens(filter: { environment: "staging" }) { nodes { status } } }', {}, ada.session);
    expect(staging.apiTokens.nodes).toEqual([{ status: 'ACTIVE' }]);
  });

  test('over 1,000 matching: one call revokes 1,000 and says more remain; the next call revokes the rest', async () => {
    // 1,001 tokens, written straight to the database like the lived-in test's history (issuing them one by one would take minutes).
    const seed = await createToken(h.app, ada, { name: 'bulk-0000', environment: 'load-test' });
    const repo = h.app.db.dataSource.getRepository(ApiToken);
    const template = await repo.findOneByOrFail({ id: seed.id });
    const rows: Partial<ApiToken>[] = [];
    for (let i = 1; i <= 1000; i++) {
      rows.push({
        ...template,
        id: newId(),
        name: `bulk-${String(i).padStart(4, '0')}`,
        username: `tgu_bulk${i}_${randomBytes(4).toString('hex')}`,
        secretHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
      });
    }
    for (let i = 0; i < rows.length; i += 100) await repo.insert(rows.slice(i, i + 100) as ApiToken[]);
    await go(page, '/tokens?env=load-test&status=ACTIVE');
    await page
      .getByText('Showing 1–20 of 1001')
      .or(page.getByText(/Showing 1–20 of 1,?000/))
      .waitFor();
    await page.getByRole('button', { name: 'Revoke all matching…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke all matching tokens?' });
    expect(await dialog.getByText('At least 1,000 tokens match now.').isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Revoke matching tokens' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .getByText(/^Revoked 1,000 tokens\. More tokens match than one call revokes \(1,000\): run “Revoke all matching…” again/)
      .waitFor();
    await page.getByRole('button', { name: 'Revoke all matching…' }).click();
    await dialog.getByRole('button', { name: 'Revoke matching tokens' }).click();
    await page.getByRole('status').getByText('Revoked 1 token. No matching token remains active or disabled.').waitFor();
    await page.getByRole('heading', { name: 'No token matches these filters' }).waitFor();
    await page.getByLabel('Status').selectOption('REVOKED'); // another filter: the result no longer applies
    await page.waitForURL(/status=REVOKED/);
    // revokeApiTokens takes active and disabled tokens only: for other statuses it is not offered
    await page.getByText(/^Showing 1–20 of/).waitFor();
    expect(await page.getByText(/^Revoked 1 token/).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Revoke all matching…' }).count()).toBe(0);
    expect(await repo.countBy({ environment: 'load-test', storedStatus: 'REVOKED' as ApiToken['storedStatus'] })).toBe(1001);
  });
});
