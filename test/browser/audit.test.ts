import type { Locator, Page } from 'playwright-core';
import { addUser, createToken, LOGIN, signUp, type Actor } from '../helpers/world';
import { REGENERATE, UPDATE_POLICY, UPDATE_ROLE } from '../helpers/api-tokens';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { newId } from '../../src/common/ids';
import { axe, DESKTOP, go, openToken, PHONE, serious, shot, consoleForFile, signedIn } from './harness';

/**
 * The audit history's details as lines a person reads (console/src/auditDetails.tsx): a token edit as
 * "name: old → new" per field, the allowlist and the rate limit in words, the other known details as
 * short phrases, and any key the console does not know still shown as `key: value`. On the audit log
 * and on a token's History card; at desktop size and at 360 px. Real service, real Chromium.
 */
const h = consoleForFile();

const UPDATE = 'mutation($id: ID!, $input: UpdateApiTokenInput!) { updateApiToken(id: $id, input: $input) { id } }';
const REVOKE_MATCHING = 'mutation($filter: ApiTokenFilter!, $reason: String) { revokeApiTokens(filter: $filter, reason: $reason) { count } }';

/** The details lines of the first row (in `scope`) that shows `line`, once it is there: a cache-and-network list may show older rows first. */
async function linesOfRowWith(line: string, scope: Locator = page.locator('main')): Promise<string[]> {
  const row = scope
    .locator('tbody tr')
    .filter({ has: page.locator('ul.details > li', { hasText: line }) })
    .first();
  await row.waitFor();
  return row.locator('ul.details > li').allTextContents();
}

async function auditLog(page: Page, query: string) {
  await go(page, `/audit?${query}`);
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
}

let ada: Actor;
let page: Page;
beforeAll(async () => {
  ada = await signUp(h.app, 'Ada Lovelace', 'Analytical Engines');
  page = await signedIn(h, ada.email);
});

describe('a token edit', () => {
  let token: { id: string };
  beforeAll(async () => {
    token = await createToken(h.app, ada, { name: 'deploy-bot', role: 'MEMBER' });
  });

  test('made in the console: the history and the audit log read “name: old → new”, the allowlist and the rate limit in words, no JSON', async () => {
    await openToken(page, token.id, 'deploy-bot');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit token' });
    await form.getByLabel('Name').fill('deploy-bot-2');
    await form.getByLabel(/Allowed IP ranges/).fill('10.0.0.0/8\n192.168.1.0/24');
    await form.getByLabel(/Rate limit/).fill('120');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByRole('heading', { level: 1, name: /deploy-bot-2/ }).waitFor();

    const changes = ['name: deploy-bot → deploy-bot-2', 'IP allowlist: anywhere → 10.0.0.0/8, 192.168.1.0/24', 'rate limit: gateway default → 120/min'];
    const history = page.locator('section.card', { has: page.getByRole('heading', { name: 'History' }) });
    const inHistory = await linesOfRowWith(changes[0], history);
    // First the token it is about (name, role, owner, expiry), then one line per field that changed, nothing else.
    expect(inHistory[0]).toMatch(/^token: deploy-bot-2 · Member · owner Ada Lovelace · expires (never|\w{3} \d{1,2}, \d{4})/);
    expect(inHistory.slice(1)).toEqual(changes);
    expect(inHistory.join('\n')).not.toMatch(/[{}"]|from|allowedCidrs|rateLimitPerMinute/);
    expect(serious(await axe(page))).toEqual([]);

    await auditLog(page, `action=token.updated&target=${token.id}`);
    const inLog = await linesOfRowWith(changes[0]);
    expect(inLog.slice(1)).toEqual(changes);
    expect(serious(await axe(page))).toEqual([]);
  });

  test('made through the API: cleared values read “anywhere” and “gateway default”, an empty description “none”', async () => {
    await h.app.ok(UPDATE, { id: token.id, input: { description: 'Nightly deploys', allowedCidrs: [], rateLimitPerMinute: null } }, ada.session);
    await auditLog(page, `action=token.updated&target=${token.id}&since=2000-01-01`); // other variables than the cached page's
    const lines = await linesOfRowWith('rate limit: 120/min → gateway default');
    expect(lines.slice(1)).toEqual(['description: none → Nightly deploys', 'IP allowlist: 10.0.0.0/8, 192.168.1.0/24 → anywhere', 'rate limit: 120/min → gateway default']);
  });

  test('at 360 px the lines wrap inside the card: nothing overflows and axe finds nothing serious', async () => {
    await page.setViewportSize(PHONE);
    try {
      await auditLog(page, 'action=token.updated&since=2000-01-02');
      await linesOfRowWith('name: deploy-bot → deploy-bot-2');
      await page.getByText('2 events', { exact: true }).waitFor();
      expect((await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number).toBe(0);
      expect(serious(await axe(page))).toEqual([]);
      await shot(page, 'phone-audit-details');
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });
});

describe('the other details, as phrases', () => {
  test('bulk revoke with a reason, a role change, a regeneration with grace, a policy change and a wrong password', async () => {
    const old = await createToken(h.app, ada, { name: 'old-ci', environment: 'legacy', role: 'MEMBER' });
    await h.app.ok(REVOKE_MATCHING, { filter: { environment: 'legacy' }, reason: 'Retiring the old CI' }, ada.session);
    const max = await addUser(h.app, ada, 'MEMBER', 'Max Member');
    await h.app.ok(UPDATE_ROLE, { id: max.id, role: 'ADMIN' }, ada.session);
    const kept = await createToken(h.app, ada, { name: 'rolling' });
    await h.app.ok(REGENERATE, { id: kept.id, grace: 3600 }, ada.session);
    await h.app.ok(UPDATE_POLICY, { input: { maxActiveTokens: 40, revokeUnusedAfterDays: 90 } }, ada.session);
    expect((await h.app.gql(LOGIN, { email: ada.email, password: 'not the password' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    await auditLog(page, `action=token.revoked&target=${old.id}`);
    const revoked = await linesOfRowWith('revoked with “Revoke all matching”');
    expect(revoked[0]).toMatch(/^token: old-ci · Member · legacy · owner Ada Lovelace/);
    expect(revoked.slice(1)).toEqual(['revoked with “Revoke all matching”', 'reason: Retiring the old CI']);

    await auditLog(page, 'action=user.role_changed');
    expect(await page.getByLabel('Target id').inputValue()).toBe(''); // the field follows the URL, not the previous page's target
    expect(await linesOfRowWith('role: Member → Admin')).toEqual(['role: Member → Admin']);

    await auditLog(page, `action=token.regenerated&target=${kept.id}`);
    expect((await linesOfRowWith('old secret: kept working for 1 hour')).slice(1)).toEqual(['old secret: kept working for 1 hour']);

    await auditLog(page, 'action=account.policy_updated');
    expect(await linesOfRowWith('revoke unused tokens after: off → 90 days')).toEqual([
      expect.stringMatching(/^active tokens allowed: \d[\d,]* → 40$/),
      'revoke unused tokens after: off → 90 days',
    ]);

    await auditLog(page, 'action=auth.failed');
    expect(await linesOfRowWith('reason: wrong password')).toEqual(['reason: wrong password']);
    await page.getByText('1 event', { exact: true }).waitFor(); // not "1 events"
    expect(serious(await axe(page))).toEqual([]);
    await shot(page, 'audit-details');
  });

  test('keys and actions the console does not know are still shown, as “key: value”, and a change of an unknown field as “field: old → new”', async () => {
    const token = await createToken(h.app, ada, { name: 'from-the-future' });
    const now = new Date();
    const row = (action: string, details: Record<string, unknown>) => ({
      id: newId(),
      accountId: ada.accountId,
      action,
      actorId: ada.id,
      actorTokenId: null,
      targetType: 'api_token',
      targetId: token.id,
      reason: null,
      ip: null,
      userAgent: null,
      details: JSON.stringify(details),
      createdAt: now,
      updatedAt: now,
    });
    // As a newer service might write them: the console must hide nothing it does not understand.
    await h.app.db.dataSource.getRepository(AuditEvent).insert([
      row('token.updated', {
        name: 'from-the-future',
        changes: { colour: { from: 'red', to: 'blue' } },
        futureField: 'kept as text',
        nested: { depth: 2 },
        seenAt: '2026-01-01T10:00:00.000Z',
      }),
      row('token.repainted', { shade: 'teal', layers: ['primer', 'gloss'] }),
    ]);
    await auditLog(page, `target=${token.id}`);
    const updated = await linesOfRowWith('colour: red → blue');
    expect(updated.slice(1)).toEqual(['colour: red → blue', 'futureField: kept as text', 'nested: {"depth":2}', 'seenAt: 2026-01-01T10:00:00.000Z']);
    const repainted = page.locator('tbody tr', { hasText: 'token.repainted' });
    expect(await repainted.locator('ul.details > li').allTextContents()).toEqual(['shade: teal', 'layers: primer, gloss']);
  });
});
