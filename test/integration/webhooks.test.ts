import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { startTestApp, TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';
import { REVOKE, setPolicy } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';
import { Webhook } from '../../src/modules/webhook/webhook.entity';

/** createWebhook, webhooks, deleteWebhook, webhookDeliveries; signed delivery and retry with backoff. */
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events createdAt } } }`;
const LIST = `{ webhooks { id url events } }`;
const DELETE = `mutation($id: ID!) { deleteWebhook(id: $id) }`;
const DELIVERIES = `query($id: ID!, $first: Int, $after: String) { webhookDeliveries(webhookId: $id, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id event status attemptCount nextAttemptAt deliveredAt payload attempts { attemptedAt statusCode error durationMs } } } }`;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

let app: TestApp;
let world: World;
let receiver: http.Server;
let receiverUrl: string;
const received: Received[] = [];
const answers: number[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answers.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
});
afterAll(async () => {
  await app?.stop();
  await new Promise((r) => receiver.close(r));
});

const verify = (secret: string, r: Received) =>
  r.headers['x-tokengate-signature'] === `v1=${createHmac('sha256', secret).update(`${r.headers['x-tokengate-timestamp']}.${r.body}`).digest('hex')}`;

describe('webhooks', () => {
  test('a signed delivery reaches the receiver, is retried with backoff after a 500, and every attempt is recorded', async () => {
    const created = (await app.ok(CREATE, { input: { url: receiverUrl, events: ['token.created', 'token.revoked'] } }, world.admin.session)).createWebhook;
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhook).toMatchObject({ url: receiverUrl, events: ['token.created', 'token.revoked'] });
    // Stored encrypted, never in plaintext.
    const row = await app.server.dataSource.getRepository(Webhook).findOneByOrFail({ id: created.webhook.id });
    expect(row.secretCiphertext).not.toContain(created.secret);
    expect(row.secretCiphertext).not.toContain(created.secret.slice(6));

    answers.push(500);
    const t = await createToken(app, world.member, { name: 'hooked', environment: 'production' });
    expect(await app.server.scheduler.deliverWebhooks()).toBe(1);
    expect(received).toHaveLength(1);
    expect(verify(created.secret, received[0])).toBe(true);
    expect(verify('whsec_wrong', received[0])).toBe(false);
    const body = JSON.parse(received[0].body);
    expect(body).toMatchObject({ type: 'token.created', accountId: world.owner.accountId, data: { token: { id: t.id, name: 'hooked', environment: 'production', status: 'ACTIVE' } } });
    expect(received[0].body).not.toContain(t.secret);
    expect(received[0].headers['x-tokengate-event']).toBe('token.created');

    let d = (await app.ok(DELIVERIES, { id: created.webhook.id }, world.owner.session)).webhookDeliveries;
    expect(d.nodes[0]).toMatchObject({ event: 'token.created', status: 'PENDING', attemptCount: 1, deliveredAt: null });
    expect(d.nodes[0].attempts).toEqual([expect.objectContaining({ statusCode: 500 })]);
    // Not due yet: nothing is sent before the backoff has passed.
    expect(await app.server.scheduler.deliverWebhooks()).toBe(0);
    clock.advance(31_000);
    await app.server.scheduler.runOnce();
    expect(received).toHaveLength(2);
    expect(received[1].headers['x-tokengate-delivery']).toBe(received[0].headers['x-tokengate-delivery']);
    expect(verify(created.secret, received[1])).toBe(true);
    d = (await app.ok(DELIVERIES, { id: created.webhook.id }, world.owner.session)).webhookDeliveries;
    expect(d.nodes[0]).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2, nextAttemptAt: null });
    expect(d.nodes[0].attempts.map((a: any) => a.statusCode)).toEqual([500, 200]);
    clock.reset();

    // Unsubscribed events are not queued; subscribed ones are.
    await app.ok(REVOKE, { id: t.id }, world.member.session);
    await app.server.scheduler.deliverWebhooks();
    expect(JSON.parse(received[received.length - 1].body)).toMatchObject({ type: 'token.revoked', data: { token: { id: t.id, status: 'REVOKED' } } });
    d = (await app.ok(DELIVERIES, { id: created.webhook.id, first: 1 }, world.admin.session)).webhookDeliveries;
    expect(d.totalCount).toBe(2);
    expect(d.pageInfo.hasNextPage).toBe(true);

    // The secret is never in a query result after creation.
    expect((await app.fail(`{ webhooks { id secret } }`, {}, world.owner.session)).code).toBe('GRAPHQL_VALIDATION_FAILED');
    const listed = (await app.gql(LIST, {}, world.owner.session)).raw;
    expect(listed).not.toContain(created.secret);

    expect((await app.ok(DELETE, { id: created.webhook.id }, world.owner.session)).deleteWebhook).toBe(created.webhook.id);
    expect((await app.ok(LIST, {}, world.owner.session)).webhooks.some((w: any) => w.id === created.webhook.id)).toBe(false);
    expect((await app.ok(DELIVERIES, { id: created.webhook.id }, world.owner.session)).webhookDeliveries).toBeNull();
  });

  test('refuses bad URLs, metadata and link-local addresses, and unknown events', async () => {
    const bad = async (url: string, events = ['token.created']) => (await app.fail(CREATE, { input: { url, events } }, world.owner.session)).code;
    for (const url of [
      'ftp://example.com/x',
      'not a url',
      'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]/',
      'http://user:pass@example.com/',
    ]) {
      expect([url, await bad(url)]).toEqual([url, 'BAD_USER_INPUT']);
    }
    expect(await bad('https://example.com/hook', [])).toBe('BAD_USER_INPUT');
    expect(await bad('https://example.com/hook', ['token.exploded'])).toBe('BAD_USER_INPUT');
  });

  test('OWNER and ADMIN only; anonymous is UNAUTHENTICATED; another account sees nothing', async () => {
    const created = (await app.ok(CREATE, { input: { url: receiverUrl, events: ['token.deleted'] } }, world.owner.session)).createWebhook;
    for (const who of [world.member, world.readOnly]) {
      expect((await app.fail(CREATE, { input: { url: receiverUrl, events: ['token.created'] } }, who.session)).code).toBe('FORBIDDEN');
      expect((await app.fail(LIST, {}, who.session)).code).toBe('FORBIDDEN');
      expect((await app.fail(DELETE, { id: created.webhook.id }, who.session)).code).toBe('FORBIDDEN');
      expect((await app.fail(DELIVERIES, { id: created.webhook.id }, who.session)).code).toBe('FORBIDDEN');
    }
    expect((await app.fail(CREATE, { input: { url: receiverUrl, events: ['token.created'] } })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(LIST, {})).code).toBe('UNAUTHENTICATED');
    const ro = await createToken(app, world.owner, { name: 'ro-hooks', role: 'READ_ONLY' });
    expect((await app.fail(CREATE, { input: { url: receiverUrl, events: ['token.created'] } }, auth.apiKey(ro.secret))).code).toBe('FORBIDDEN');

    expect((await app.ok(LIST, {}, world.stranger.session)).webhooks).toEqual([]);
    expect((await app.ok(DELIVERIES, { id: created.webhook.id }, world.stranger.session)).webhookDeliveries).toBeNull();
    expect((await app.fail(DELETE, { id: created.webhook.id }, world.stranger.session)).code).toBe('NOT_FOUND');
    expect((await app.ok(LIST, {}, world.admin.session)).webhooks.map((w: any) => w.id)).toContain(created.webhook.id);
    expect((await app.fail(DELIVERIES, { id: created.webhook.id, first: 500 }, world.admin.session)).code).toBe('BAD_USER_INPUT');
  });
});
