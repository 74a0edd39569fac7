import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, TestApp } from '../helpers/app';
import { observeRequest, observeResponse } from '../helpers/secret-registry';
import { PASSWORD, uniqueEmail } from '../helpers/world';

/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
 * browser download) against the real tokens service on a fresh SQLite database.
 *
 * Every request the page makes to /graphql goes through the same secret registry as the
 * integration tests' fetch calls, so the teardown check knows every password and token the
 * browser sent or received. Every page fails its test on an uncaught exception or a
 * Content-Security-Policy violation.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
export const DESKTOP = { width: 1366, height: 860 };
export const PHONE = { width: 360, height: 780 };
/** Screenshots go here; `SCREENSHOT_DIR=docs/console` refreshes the pictures of the README and docs/console.md. */
export const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR || join(__dirname, 'screenshots'));

export interface ConsoleHarness {
  app: TestApp;
  browser: Browser;
  /** A fresh browser context (no shared state) with one page at /console/. */
  open(viewport?: { width: number; height: number }, options?: { fakeClock?: boolean }): Promise<Page>;
  /** Uncaught page errors and CSP violations seen so far (each test expects none). */
  problems: string[];
  stop(): Promise<void>;
}

export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleHarness> {
  if (!existsSync(join(__dirname, '../../dist/console/index.html'))) throw new Error('the console is not built: run `npm run build` (npm test does it first)');
  const app = await startTestApp(env);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const reading = new Set<Promise<void>>();
  const origin = new URL(app.base).origin;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  async function open(viewport = DESKTOP, options: { fakeClock?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', reducedMotion: 'reduce' });
    // The page's timers and Date under the test's control (page.clock.fastForward), from the first script on.
    if (options.fakeClock) await context.clock.install();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`uncaught in the page: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    page.on('dialog', (d) => void d.accept()); // the shown-once panel's "leave this page?" guard
    inFlight.set(page, 0);
    const done = (req: { url(): string }) => {
      if (req.url().endsWith('/graphql')) inFlight.set(page, (inFlight.get(page) ?? 1) - 1);
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    page.on('request', (req) => {
      if (!req.url().endsWith('/graphql')) return;
      inFlight.set(page, (inFlight.get(page) ?? 0) + 1);
      const { where, operation } = observeRequest(req.url(), req.method(), new Headers(req.headers()), req.postData() ?? undefined);
      const p = req
        .response()
        .then(async (res) => {
          if (res) observeResponse(where, res.status(), await res.text(), operation);
        })
        .catch(() => undefined)
        .finally(() => reading.delete(p));
      reading.add(p);
    });
    await page.goto(`${app.base}/console/`);
    return page;
  }

  return {
    app,
    browser,
    open,
    problems,
    async stop() {
      await Promise.all([...reading]);
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await app.stop();
    },
  };
}

/**
 * The console for one test file: the service and the browser start before its first test and stop after
 * its last; every test fails on an uncaught page error or CSP violation it caused. Hooks registered after
 * this call (e.g. creating the file's accounts) run once it has started.
 */
export function consoleForFile(env: Record<string, string> = {}): ConsoleHarness {
  let started: ConsoleHarness | undefined;
  const current = () => {
    if (!started) throw new Error('the console is not started: use it in a test or a hook');
    return started;
  };
  beforeAll(async () => {
    started = await startConsole(env);
  });
  afterAll(() => started?.stop());
  afterEach(() => {
    const problems = current().problems.splice(0);
    expect(problems).toEqual([]);
  });
  return {
    get app() {
      return current().app;
    },
    get browser() {
      return current().browser;
    },
    get problems() {
      return current().problems;
    },
    open: (viewport, options) => current().open(viewport, options),
    stop: () => current().stop(),
  };
}

/** Client-side navigation (a reload would sign the page out: sessions live in memory). */
export async function go(page: Page, path: string): Promise<void> {
  // A string, evaluated in the page: this project's TypeScript has no DOM types.
  await page.evaluate(`history.pushState(null, '', ${JSON.stringify(`/console${path}`)}); dispatchEvent(new PopStateEvent('popstate'))`);
}

/** GraphQL requests each page has sent and not yet had a whole answer to. */
const inFlight = new WeakMap<Page, number>();

/**
 * Wait until a screen has settled after client-side navigation or a change: no GraphQL request of the page in
 * flight, no loading indicator, and a DOM that stays unchanged for a moment (the answers rendered). Use it
 * before checking a whole screen (layout, axe) or the absence of something. `page.waitForLoadState('networkidle')`
 * does not do this: after a pushState it returns at once, with the screen's queries still running.
 */
export async function settled(page: Page, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((inFlight.get(page) ?? 0) === 0 && (await page.locator('.loading').count()) === 0) {
      // A string, evaluated in the page (no DOM types here): resolves true when nothing in the DOM changed for 150 ms.
      const quiet = await page.evaluate(`new Promise((resolve) => {
        let changed = false;
        const o = new MutationObserver(() => { changed = true; });
        o.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        setTimeout(() => { o.disconnect(); resolve(!changed); }, 150);
      })`);
      if (quiet && (inFlight.get(page) ?? 0) === 0) return;
    }
    if (Date.now() > deadline) throw new Error(`the page did not settle in ${timeoutMs} ms (${inFlight.get(page) ?? 0} GraphQL requests in flight)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The row of a list whose link is this name (a token's row, by its name). */
export const rowByLink = (page: Page, name: string) => page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });
/** The error under the form field labelled `label`. */
export const fieldError = (page: Page, label: string | RegExp) => page.locator('.field', { has: page.getByLabel(label) }).locator('.field-error');
/** The text of the focused element. */
export const focused = (page: Page) => page.evaluate('document.activeElement && document.activeElement.textContent && document.activeElement.textContent.trim()') as Promise<string | null>;

/** A token's page, by client-side navigation, once its title is there. */
export async function openToken(page: Page, id: string, name: string): Promise<void> {
  await go(page, `/tokens/${id}`);
  await page.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor();
}

export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0); document.fonts.ready.then(() => true)');
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
}

export interface UiUser {
  email: string;
  name: string;
  password: string;
}

/** Create an account through the sign-up page; the page ends on the tokens screen. */
export async function signUpInUi(page: Page, name: string, accountName: string): Promise<UiUser> {
  const email = uniqueEmail(name.toLowerCase().replace(/\W+/g, '-'));
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Organisation name').fill(accountName);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: 'API tokens' }).waitFor();
  return { email, name, password: PASSWORD };
}

/** A fresh page (its own browser context) signed in as `email`, on the API tokens screen. */
export async function signedIn(h: Pick<ConsoleHarness, 'open'>, email: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await h.open(viewport);
  await signInInUi(page, email);
  return page;
}

export async function signInInUi(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page
    .getByRole('button', { name: /Sign out/ })
    .first()
    .waitFor();
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** axe-core on the page as it is (injected through the DevTools protocol, which the page's CSP does not govern). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  return (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
}

/** Only what axe rates serious or critical fails a test. */
export const serious = (violations: AxeViolation[]) =>
  violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
