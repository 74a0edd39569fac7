import type { Page } from 'playwright-core';
import { addUser, auth, createToken, signUp, type Actor } from '../helpers/world';
import { axe, DESKTOP, go, PHONE, serious, shot, consoleForFile, rowByLink, fieldError, openToken, signedIn } from './harness';

/**
 * A token's IP allowlist and its own rate limit in the console (issue #16, items 4 and 5): on the create
 * form and the edit form, on the detail page with the ranges seen in its usage and a one-click Allow, and
 * as badges in the list; the API's refusals under the field they concern. Real service, real Chromium.
 */
const h = consoleForFile();

const ME = '{ me { id name } }';
const TOKEN = 'query($id: ID!) { apiToken(id: $id) { id name allowedCidrs rateLimitPerMinute suggestedCidrs } }';
const CIDR_MESSAGE = 'must be an IPv4 or IPv6 address or range in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48.';
const row = rowByLink;

describe('create form: allowed IP ranges and rate limit', () => {
  let ada: Actor;
  let page: Page;
  beforeAll(async () => {
    ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    page = await signedIn(h, ada.email);
  });

  test('refused by the API: a bad range and more than 20 show under the ranges field with the API’s message, a limit of 0 under the limit field', async () => {
    await go(page, '/tokens/new');
    await page.getByLabel('Name', { exact: true }).fill('ci-deploy');
    const ranges = page.getByLabel(/Allowed IP ranges/);
    await ranges.fill('203.0.113.0/24\n10.0.0.300/8');
    await page.getByRole('button', { name: 'Create token' }).click();
    const err = fieldError(page, /Allowed IP ranges/);
    await err.waitFor();
    expect((await err.textContent())!.trim()).toBe(`Entry 2 of the allowed IP ranges ${CIDR_MESSAGE}`);
    expect(await ranges.getAttribute('aria-invalid')).toBe('true');
    expect(await ranges.getAttribute('aria-describedby')).toContain((await err.getAttribute('id'))!);

    await ranges.fill(Array.from({ length: 21 }, (_, i) => `198.51.100.${i}`).join('\n'));
    await page.getByRole('button', { name: 'Create token' }).click();
    await err.filter({ hasText: 'at most 20' }).waitFor();
    expect((await err.textContent())!.trim()).toBe('The allowed IP ranges may list at most 20 ranges.');

    await ranges.fill('');
    await page.getByLabel(/Rate limit/).fill('0');
    await page.getByRole('button', { name: 'Create token' }).click();
    const limitErr = fieldError(page, /Rate limit/);
    await limitErr.waitFor();
    expect((await limitErr.textContent())!.trim()).toMatch(/^The rate limit must be a whole number of requests per minute from 1 to 1000000/);
    expect(await err.count()).toBe(0);
    expect(serious(await axe(page))).toEqual([]);
    // Nothing was created.
    expect((await h.app.ok('{ apiTokens { totalCount } }', {}, ada.session)).apiTokens.totalCount).toBe(0);
  });

  test('success: the token carries both, the detail shows them, the list badges them, and the API refuses it from elsewhere', async () => {
    await page.getByLabel(/Rate limit/).fill('120');
    await page.getByLabel(/Allowed IP ranges/).fill('203.0.113.0/24\n2001:db8::/48');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('secret-panel').waitFor();
    const secret = await page.locator('#secret-value').inputValue();
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByRole('button', { name: /I have copied it/ }).click();
    await page.getByRole('heading', { level: 1, name: /ci-deploy/ }).waitFor();
    const access = page.locator('section.card', { has: page.getByRole('heading', { name: 'Access' }) });
    await access.getByRole('list', { name: 'Allowed IP ranges' }).waitFor();
    expect(await access.getByRole('listitem').allTextContents()).toEqual(['203.0.113.0/24', '2001:db8::/48']);
    expect(await access.getByText('120 requests per minute').isVisible()).toBe(true);
    const saved = (await h.app.ok('{ apiTokens { nodes { id allowedCidrs rateLimitPerMinute } } }', {}, ada.session)).apiTokens.nodes[0];
    expect(saved).toMatchObject({ allowedCidrs: ['203.0.113.0/24', '2001:db8::/48'], rateLimitPerMinute: 120 });
    // The test calls from the loopback address: outside the list.
    const refused = await h.app.gql(ME, {}, auth.apiKey(secret));
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    await page.getByRole('link', { name: 'API tokens' }).first().click();
    const r = row(page, 'ci-deploy');
    await r.getByText('120/min').waitFor();
    expect(await r.getByText('2 IP ranges').isVisible()).toBe(true);
  });
});

describe('detail: suggested ranges with Allow, edit and clear', () => {
  let ada: Actor;
  let page: Page;
  let token: { id: string; secret: string };
  let suggested: string;

  beforeAll(async () => {
    ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    token = await createToken(h.app, ada, { name: 'npm-publish' });
    await h.app.ok(ME, {}, auth.apiKey(token.secret));
    await h.app.server.usage.flush();
    [suggested] = (await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken.suggestedCidrs;
    expect(suggested).toMatch(/\/(24|64)$/);
    page = await signedIn(h, ada.email);
  });

  test('the detail says “anywhere” and offers the range seen in its usage; Allow adds it, and the token keeps working from there', async () => {
    await openToken(page, token.id, 'npm-publish');
    const access = page.locator('section.card', { has: page.getByRole('heading', { name: 'Access' }) });
    expect(await access.getByText('Anywhere: no IP allowlist').isVisible()).toBe(true);
    expect(await access.getByText('Gateway default').isVisible()).toBe(true);
    expect(await access.getByText(/Allowing a range turns the allowlist on/).isVisible()).toBe(true);
    // Its one use, counted in the singular.
    expect(await page.getByText('1 request in the last 30 days; busiest day 1 request.').isVisible()).toBe(true);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'token-access');
    await page.setViewportSize(PHONE);
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'token-access-phone');
    await page.setViewportSize(DESKTOP);
    await access.getByRole('button', { name: `Allow ${suggested}` }).click();
    await access.getByRole('list', { name: 'Allowed IP ranges' }).getByText(suggested).waitFor();
    // Once allowed, it is no longer offered.
    expect(await access.getByRole('button', { name: `Allow ${suggested}` }).count()).toBe(0);
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken.allowedCidrs).toEqual([suggested]);
    expect((await h.app.ok(ME, {}, auth.apiKey(token.secret))).me.name).toBe('Ada Lovelace');
  });

  test('Edit refuses a bad range (the API’s message under the field) and saves nothing', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit token' });
    const ranges = form.getByLabel(/Allowed IP ranges/);
    expect(await ranges.inputValue()).toBe(suggested);
    await ranges.fill(`${suggested}\nnot-an-address`);
    await form.getByRole('button', { name: 'Save changes' }).click();
    const err = fieldError(page, /Allowed IP ranges/);
    await err.waitFor();
    expect((await err.textContent())!.trim()).toBe(`Entry 2 of the allowed IP ranges ${CIDR_MESSAGE}`);
    expect(serious(await axe(page))).toEqual([]);
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken.allowedCidrs).toEqual([suggested]);
    // Not a whole number: said on the field before anything is sent.
    await ranges.fill(suggested);
    await form.getByLabel(/Rate limit/).fill('1.5');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await fieldError(page, /Rate limit/)
      .filter({ hasText: 'whole number' })
      .waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  });

  test('Edit sets a rate limit; clearing both fields lifts the allowlist ([]) and goes back to the default (null)', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    let form = page.getByRole('form', { name: 'Edit token' });
    await form.getByLabel(/Rate limit/).fill('5000');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    const access = page.locator('section.card', { has: page.getByRole('heading', { name: 'Access' }) });
    await access.getByText('5,000 requests per minute').waitFor();
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken).toMatchObject({ rateLimitPerMinute: 5000, allowedCidrs: [suggested] });

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    form = page.getByRole('form', { name: 'Edit token' });
    expect(await form.getByLabel(/Rate limit/).inputValue()).toBe('5000');
    await form.getByLabel(/Allowed IP ranges/).fill('');
    await form.getByLabel(/Rate limit/).fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await access.getByText('Anywhere: no IP allowlist').waitFor();
    expect(await access.getByText('Gateway default').isVisible()).toBe(true);
    expect((await h.app.ok(TOKEN, { id: token.id }, ada.session)).apiToken).toMatchObject({ rateLimitPerMinute: null, allowedCidrs: [] });
    const history = page.locator('section.card', { has: page.getByRole('heading', { name: 'History' }) });
    await history.getByText('Token edited', { exact: true }).first().waitFor();
  });
});

describe('a member and the rate limit', () => {
  let max: Actor;
  let page: Page;
  let own: { id: string };

  beforeAll(async () => {
    const ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
    max = await addUser(h.app, ada, 'MEMBER', 'Max Member');
    own = await createToken(h.app, max, { name: 'max-laptop' });
    page = await signedIn(h, max.email);
  });

  test('is told only owners and admins may raise it; raising it is refused FORBIDDEN, said under the field; lowering it works', async () => {
    await openToken(page, own.id, 'max-laptop');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit token' });
    expect(await form.getByText(/only owners and admins may raise it/).isVisible()).toBe(true);
    await form.getByLabel(/Rate limit/).fill('100000');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const err = fieldError(page, /Rate limit/);
    await err.waitFor();
    const text = (await err.textContent())!.trim();
    expect(text).toBe("Only OWNER and ADMIN may raise a token's rate limit; you may lower it (now 600 per minute).");
    expect(serious(await axe(page))).toEqual([]);
    expect((await h.app.ok(TOKEN, { id: own.id }, max.session)).apiToken.rateLimitPerMinute).toBeNull();

    await form.getByLabel(/Rate limit/).fill('60');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByText('60 requests per minute').waitFor();
    expect((await h.app.ok(TOKEN, { id: own.id }, max.session)).apiToken.rateLimitPerMinute).toBe(60);
  });

  test('on the create form, a limit above the default is refused under the field', async () => {
    await go(page, '/tokens/new');
    await page.getByLabel('Name', { exact: true }).fill('max-ci');
    await page.getByLabel(/Rate limit/).fill('601');
    await page.getByRole('button', { name: 'Create token' }).click();
    const err = fieldError(page, /Rate limit/);
    await err.waitFor();
    expect((await err.textContent())!.trim()).toMatch(/^Only OWNER and ADMIN may raise a token's rate limit/);
    expect((await h.app.ok('{ apiTokens { totalCount } }', {}, max.session)).apiTokens.totalCount).toBe(1);
  });
});
