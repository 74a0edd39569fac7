import type { Page } from 'playwright-core';
import { addUser, auth, createToken, LOGIN, PASSWORD, signUp } from '../helpers/world';
import { ApiTokenUsage } from '../../src/modules/usage/api-token-usage.entity';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { newId } from '../../src/common/ids';
import { CONSOLE_CSP } from '../../src/http/console';
import { axe, go, PHONE, serious, settled, shot, signInInUi, signUpInUi, consoleForFile, rowByLink, signedIn } from './harness';

/**
 * The token console's core flows in headless Chromium: sign up, create a token and copy its
 * shown-once secret, use it, revoke it; expiring marks; regenerate with grace; keyboard only.
 */
const h = consoleForFile();

const ME = '{ me { id name } }';
const DAY = 864e5;

async function createInUi(page: Page, name: string, options: { environment?: string; expires?: string } = {}) {
  await page.getByRole('link', { name: 'Create token' }).first().click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (options.environment) await page.getByLabel('Environment').fill(options.environment);
  if (options.expires) await page.getByLabel('Expires', { exact: true }).selectOption(options.expires);
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByTestId('secret-panel').waitFor();
}
const clipboard = (page: Page) => page.evaluate('navigator.clipboard.readText()') as Promise<string>;
const row = rowByLink;

describe('the console page itself', () => {
  test('is served at /console/ with a strict CSP and no inline script or style; deep links load the app; / redirects there', async () => {
    const res = await fetch(`${h.app.base}/console/tokens/some-id`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|style=/);
    const root = await fetch(`${h.app.base}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/console/');
    const missing = await fetch(`${h.app.base}/console/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
  });
});

describe('sign up → create → copy → use → revoke', () => {
  let page: Page;
  let secret: string;
  let owner: { email: string };

  test('sign up lands on the tokens screen with an empty state that explains tokens', async () => {
    page = await h.open();
    await shot(page, 'sign-in');
    owner = await signUpInUi(page, 'Ada Lovelace', 'Analytical Engines');
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    expect(await page.getByText(/lets a script, a CI job or a package manager call the API/).isVisible()).toBe(true);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'tokens-empty');
  });

  test('create: the shown-once panel shows the secret, copies it, and fills snippets with the token’s username', async () => {
    await createInUi(page, 'ci-deploy', { environment: 'production' });
    const panel = page.getByTestId('secret-panel');
    expect(await panel.getByText('Copy the secret now: it will not be shown again.').isVisible()).toBe(true);
    secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    expect(secret).toMatch(/^tgk_/);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await clipboard(page)).toBe(secret);
    const username = (await panel.locator('p.muted code').textContent())!;
    expect(username).toMatch(/^tgu_/);
    const curl = (await panel.locator('[data-snippet="curl"] pre').textContent())!;
    expect(curl).toContain(`Authorization: APIKey ${secret}`);
    expect(curl).toContain(`${h.app.base}/graphql`);
    const basic = (await panel.locator('[data-snippet="basic"] pre').textContent())!;
    expect(basic).toContain(`-u '${username}:${secret}'`);
    const npmrc = (await panel.locator('[data-snippet="npmrc"] pre').textContent())!;
    expect(npmrc).toContain(`:username=${username}`);
    expect(npmrc).toContain(`:_password=${Buffer.from(secret).toString('base64')}`);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'shown-once-panel');
    await page.setViewportSize(PHONE);
    await shot(page, 'shown-once-panel-phone');
    await page.setViewportSize({ width: 1366, height: 860 });
  });

  test('the copied secret works against the API, with APIKey and with Basic username:token', async () => {
    expect((await h.app.ok(ME, {}, auth.apiKey(secret))).me.name).toBe('Ada Lovelace');
    const username = (await page.getByTestId('secret-panel').locator('p.muted code').textContent())!;
    expect((await h.app.ok(ME, {}, auth.basic(username, secret))).me.name).toBe('Ada Lovelace');
  });

  test('done: the token’s page with its usage; the list shows it, and the secret is nowhere on either', async () => {
    await h.app.server.usage.flush(); // the two calls above, written now rather than in USAGE_FLUSH_INTERVAL_MS
    await page.getByRole('button', { name: /I have copied it/ }).click();
    await page.getByRole('heading', { level: 1, name: /ci-deploy/ }).waitFor();
    await page.getByText('2 requests in the last 30 days; busiest day 2 requests.').waitFor();
    expect(await page.content()).not.toContain(secret.slice(12));
    await page.getByRole('link', { name: 'API tokens' }).first().click();
    const r = row(page, 'ci-deploy');
    await r.waitFor();
    expect(await r.getByText('production', { exact: true }).isVisible()).toBe(true);
    expect(await r.getByText('Active').isVisible()).toBe(true);
    expect(await r.getByText('2 requests').isVisible()).toBe(true);
  });

  test('revoke in the UI, confirmed by a dialog naming the token: the API refuses the secret, the row says Revoked', async () => {
    await row(page, 'ci-deploy').getByRole('button', { name: 'Revoke ci-deploy' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Revoke “ci-deploy”?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(page, 'ci-deploy').getByText('Revoked').waitFor();
    const refused = await h.app.gql(ME, {}, auth.apiKey(secret));
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await shot(page, 'tokens-revoked');
  });

  test('status filter: deleted tokens are listed only when asked for; Back restores the previous filter', async () => {
    await row(page, 'ci-deploy').getByRole('button', { name: 'Delete ci-deploy' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete token' }).click();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    await page.getByLabel('Status').selectOption('DELETED');
    await row(page, 'ci-deploy').getByText('Deleted').waitFor();
    expect(page.url()).toContain('status=DELETED');
    await page.goBack();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('');
  });

  test('a reload signs the page out (no token is stored) and signing in returns to the same page', async () => {
    await go(page, '/tokens?status=DELETED');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const storage = (await page.evaluate('JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage), document.cookie])')) as string;
    expect(storage).toBe('[[],[],""]');
    await signInInUi(page, owner.email);
    await row(page, 'ci-deploy').getByText('Deleted').waitFor();
    expect(page.url()).toContain('/console/tokens?status=DELETED');
  });
});

describe('expiry marks, detail, regenerate', () => {
  let page: Page;
  let session: string;

  beforeAll(async () => {
    page = await h.open();
    const user = await signUpInUi(page, 'Grace Hopper', 'Compilers Inc');
    // Tokens are issued through the API as this user, signed in beside the browser.
    session = auth.bearer((await h.app.ok(LOGIN, { email: user.email, password: PASSWORD })).login.accessToken);
  });

  test('a token expiring in 3 days is marked in its row and on the navigation; one in 60 days is not', async () => {
    await createToken(h.app, session, { name: 'soon', expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await createToken(h.app, session, { name: 'later', expiresAt: new Date(Date.now() + 60 * DAY).toISOString() });
    await go(page, '/notifications');
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await go(page, '/tokens'); // every page change re-counts the navigation's alerts
    const soon = row(page, 'soon');
    await soon.waitFor();
    expect(await soon.getByRole('img', { name: /Expires within 7 days/ }).isVisible()).toBe(true);
    expect(await row(page, 'later').getByRole('img').count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('img', { name: '1 token expires within 7 days' }).isVisible()).toBe(true);
    await shot(page, 'tokens-expiring', false);
  });

  test('detail: fields, the 30-day usage chart with a readable table, last addresses', async () => {
    await row(page, 'soon').getByRole('link', { name: 'soon' }).click();
    await page.getByRole('heading', { level: 1, name: /soon/ }).waitFor();
    expect(await page.getByText(/This token expires in 3 days/).isVisible()).toBe(true);
    expect(await page.getByRole('img', { name: /requests in the last 30 days/ }).isVisible()).toBe(true);
    expect(await page.locator('figure table tbody tr').count()).toBe(30);
    expect(serious(await axe(page))).toEqual([]);
  });

  test('regenerate with a 1-hour grace period: the new secret is shown once, and old and new both work', async () => {
    const created = await createToken(h.app, session, { name: 'rotating' });
    await go(page, `/tokens/${created.id}`);
    await page.getByRole('heading', { level: 1, name: /rotating/ }).waitFor();
    await page.getByRole('button', { name: 'Regenerate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate “rotating”' });
    await dialog.getByLabel('1 hour').check();
    await dialog.getByRole('button', { name: 'Regenerate secret' }).click();
    await page.getByTestId('secret-panel').waitFor();
    expect(await page.getByText('New secret issued: the old one keeps working during the grace period').isVisible()).toBe(true);
    const fresh = await page.getByLabel('Secret', { exact: true }).inputValue();
    expect(fresh).not.toBe(created.secret);
    expect((await h.app.ok(ME, {}, auth.apiKey(fresh))).me.name).toBe('Grace Hopper');
    expect((await h.app.ok(ME, {}, auth.apiKey(created.secret))).me.name).toBe('Grace Hopper');
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: /back to the token/ }).click();
    await page.getByText('Secret regenerated').waitFor();
    await shot(page, 'token-detail');
  });
});

describe('pagination', () => {
  test('pages of 20 over the connection, Next and Back', async () => {
    const page = await h.open();
    const user = await signUpInUi(page, 'Edsger Dijkstra', 'Shortest Paths');
    const session = auth.bearer((await h.app.ok(LOGIN, { email: user.email, password: PASSWORD })).login.accessToken);
    for (let i = 1; i <= 25; i++) await createToken(h.app, session, { name: `paged-${String(i).padStart(2, '0')}` });
    await go(page, '/notifications');
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await go(page, '/tokens');
    await page.getByText('Showing 1–20 of 25').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(20);
    expect(await row(page, 'paged-25').count()).toBe(1); // newest first
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Showing 21–25 of 25').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(5);
    expect(await row(page, 'paged-01').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await page.goBack();
    await page.getByText('Showing 1–20 of 25').waitFor();
  });
});

describe('session renewal', () => {
  test('a minute before the access token expires, the page renews it with refreshSession and carries on with the new one', async () => {
    const page = await h.open(undefined, { fakeClock: true });
    await signUpInUi(page, 'Katherine Johnson', 'Trajectories');
    const first = page.waitForRequest((r) => r.url().endsWith('/graphql') && !!r.headers().authorization);
    await go(page, '/notifications');
    const oldAuthorization = (await first).headers().authorization;
    const renewal = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('refreshSession'));
    await page.clock.fastForward('59:30'); // the access token lasts an hour
    const answer = await (await renewal).json();
    expect(answer.errors).toBeUndefined();
    expect(answer.data.refreshSession.accessToken).toBeTruthy();
    const next = page.waitForRequest((r) => r.url().endsWith('/graphql') && !!r.headers().authorization);
    await go(page, '/tokens');
    const used = (await next).headers().authorization;
    expect(used).toBe(`Bearer ${answer.data.refreshSession.accessToken}`);
    expect(used).not.toBe(oldAuthorization);
    await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
  });
});

describe('keyboard only', () => {
  test('a token is created, its secret copied and the panel left with Tab, typing, Space and Enter alone', async () => {
    const page = await h.open();
    await signUpInUi(page, 'Alan Turing', 'Bletchley');
    // From the top of the tokens page: Tab to "Create token", Enter.
    await page.getByRole('link', { name: 'Create your first token' }).waitFor();
    await page.locator('body').focus();
    let onCreate = false;
    for (let i = 0; i < 30 && !onCreate; i++) {
      await page.keyboard.press('Tab');
      onCreate = ((await page.evaluate('document.activeElement && document.activeElement.textContent')) as string | null)?.trim() === 'Create token';
    }
    expect(onCreate).toBe(true);
    // The focus is visible where it is.
    const outline = (await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')) as string;
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create an API token' }).waitFor();
    // The name field has the focus on arrival. The heading shows while the account's policy still loads and
    // the form (with its focused field) comes after it: wait for the focus, or the keys would go to the page.
    await page.waitForFunction("document.activeElement instanceof HTMLInputElement && document.activeElement.name === 'name'");
    await page.keyboard.type('keyboard-made');
    await page.keyboard.press('Enter'); // submits the form
    await page.getByTestId('secret-panel').waitFor();
    const secret = await page.getByLabel('Secret', { exact: true }).inputValue();
    let onCopy = false;
    for (let i = 0; i < 10 && !onCopy; i++) {
      await page.keyboard.press('Tab');
      onCopy = ((await page.evaluate('document.activeElement && document.activeElement.textContent')) as string | null)?.trim() === 'Copy secret';
    }
    expect(onCopy).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Copied', exact: true }).waitFor();
    expect(await clipboard(page)).toBe(secret);
    expect((await h.app.ok(ME, {}, auth.apiKey(secret))).me.name).toBe('Alan Turing');
  });
});

describe("a lived-in account (the documentation's pictures)", () => {
  test('the tokens table and a token with 30 days of use', async () => {
    const ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    const charles = await addUser(h.app, ada, 'MEMBER', 'Charles Babbage');
    const ci = await createToken(h.app, ada, { name: 'ci-deploy', role: 'MEMBER', environment: 'production', description: 'GitHub Actions: deploys main' });
    await createToken(h.app, ada, { name: 'k8s-production', role: 'READ_ONLY', environment: 'production', expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await createToken(h.app, ada, { name: 'npm-publish', role: 'MEMBER', environment: 'staging', description: 'Publishes the @engines packages' });
    await createToken(h.app, ada, { name: 'charles-laptop', ownerId: charles.id, expiresAt: new Date(Date.now() + 30 * DAY).toISOString() });
    const old = await createToken(h.app, charles, { name: 'old-jenkins' });
    await h.app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: old.id }, ada.session);
    // 30 days of history for ci-deploy, as the usage flush would have written it day by day.
    const ds = h.app.db.dataSource;
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let i = 29; i >= 0; i--) {
      const day = new Date(today - i * DAY).toISOString().slice(0, 10);
      const weekday = new Date(today - i * DAY).getUTCDay();
      const requests = weekday === 0 || weekday === 6 ? 3 + (i % 4) : 40 + ((i * 37) % 55);
      for (const [ip, share] of [
        ['203.0.113.10', 0.8],
        ['198.51.100.7', 0.2],
      ] as const) {
        await ds.getRepository(ApiTokenUsage).insert({
          id: newId(),
          tokenId: ci.id,
          accountId: ada.accountId,
          day,
          environment: 'production',
          ip,
          requests: Math.round(requests * share),
          createdAt: new Date(),
          updatedAt: new Date(),
        });
      }
    }
    const recorded = (await ds.getRepository(ApiTokenUsage).find({ where: { tokenId: ci.id } })).reduce((s, r) => s + r.requests, 0);
    await ds.getRepository(ApiToken).update({ id: ci.id }, { useCount: recorded, lastUsedAt: new Date(Date.now() - 20 * 60_000), lastUsedIps: ['203.0.113.10', '198.51.100.7'] });
    const page = await signedIn(h, ada.email);
    await row(page, 'k8s-production').waitFor();
    await settled(page); // every row's answer rendered (networkidle does not wait after the in-app sign-in)
    expect(
      await row(page, 'k8s-production')
        .getByRole('img', { name: /Expires within 7 days/ })
        .isVisible(),
    ).toBe(true);
    expect(await row(page, 'old-jenkins').getByText('Revoked').isVisible()).toBe(true);
    expect(await row(page, 'charles-laptop').getByText('issued by Ada Lovelace').isVisible()).toBe(true);
    await shot(page, 'tokens', false);
    await row(page, 'ci-deploy').getByRole('link', { name: 'ci-deploy' }).click();
    await page.getByText(`${recorded.toLocaleString('en-US')} requests in the last 30 days`, { exact: false }).waitFor();
    expect(await page.locator('.chart-bar').count()).toBe(30);
    await page.getByText('203.0.113.10').first().waitFor();
    await shot(page, 'token-detail');
  });
});
