import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningGateway } from '../../src/gateway/gateway';
import { Webhook, WebhookDelivery } from '../../src/modules/webhook/webhook.entity';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import type { TestApp } from '../helpers/app';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * With WEBHOOK_ALLOW_PRIVATE=false (the production default) a webhook may call
 * public addresses only, however the address is written: IPv4 inside IPv6
 * (NAT64, IPv4-compatible, IPv4-mapped, 6to4, Teredo) is judged as the IPv4
 * address it reaches, when the webhook is registered and again on the
 * address each delivery connects to; and what a host name resolved to never
 * reaches the admin.
 */
const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url } } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id) { nodes { status attemptCount attempts { statusCode error } } } }`;

let sg: Supergraph;
let app: TestApp;
let world: World;
let gw: RunningGateway;
let receiver: http.Server;
let port: number;
let hits = 0;
beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  port = (receiver.address() as AddressInfo).port;
  sg = await startSupergraph({ WEBHOOK_ALLOW_PRIVATE: 'false' });
  app = sg.app;
  world = await createWorld(app);
  gw = await sg.startGateway('webhooks');
});
afterAll(async () => {
  await sg?.stop();
  await new Promise((r) => receiver.close(r));
});

const webhookCount = () => app.db.dataSource.getRepository(Webhook).count();

describe('registering', () => {
  test.each([
    ['NAT64 to the metadata service', 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data', 'link-local, metadata or reserved address'],
    ['IPv4-compatible loopback', 'http://[::7f00:1]/', 'loopback or private address'],
    ['6to4 loopback', 'http://[2002:7f00:1::]/', 'loopback or private address'],
    ['IPv4-compatible metadata', 'http://[::a9fe:a9fe]/', 'link-local, metadata or reserved address'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/', 'loopback or private address'],
    ['Teredo with a loopback client', 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback or private address'],
    ['local-use NAT64', 'http://[64:ff9b:1::a00:1]/', 'loopback or private address'],
  ])('%s (%s) is BAD_USER_INPUT and nothing is stored', async (_what, url, reason) => {
    const before = await webhookCount();
    const e = await app.fail(CREATE, { input: { url, events: ['token.created'] } }, world.owner.session);
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', message: `url: points at a ${reason}`, data: null });
    expect(await webhookCount()).toBe(before);
  });

  test('through the gateway too; a public address in the same clothing is accepted', async () => {
    const admin = await createToken(app, world.admin, { name: 'hooks-admin' });
    const refused = await sg.gql(gw, CREATE, { input: { url: 'http://[::a9fe:a9fe]/', events: ['token.created'] } }, auth.apiKey(admin.secret));
    expect(refused.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'url: points at a link-local, metadata or reserved address']]);
    const ok = await sg.gql(gw, CREATE, { input: { url: 'https://[64:ff9b::808:808]/hook', events: ['token.created'] } }, auth.apiKey(admin.secret));
    expect(ok.errors).toBeUndefined();
    expect(ok.data.createWebhook.webhook.url).toBe('https://[64:ff9b::808:808]/hook');
    await app.ok('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: ok.data.createWebhook.webhook.id }, world.admin.session);
  });
});

describe('delivering', () => {
  /** A webhook registered with a public-looking URL whose target later changed (DNS rebinding, or an edited row). */
  async function hookPointingAt(url: string): Promise<string> {
    const created = (await app.ok(CREATE, { input: { url: 'https://hooks.example.com/x', events: ['token.created'] } }, world.owner.session)).createWebhook;
    await app.db.dataSource.getRepository(Webhook).update({ id: created.webhook.id }, { url });
    return created.webhook.id;
  }
  async function deliverOnce(id: string) {
    await createToken(app, world.owner, { name: `hooked-${Math.random()}` });
    expect(await app.server.scheduler.deliverWebhooks()).toBeGreaterThanOrEqual(1);
    const res = await app.gql(DELIVERIES, { id }, world.owner.session);
    const node = res.data.webhookDeliveries.nodes[0];
    return { node, raw: res.raw };
  }
  afterEach(async () => {
    for (const entity of [WebhookDelivery, Webhook]) await app.db.dataSource.createQueryBuilder().delete().from(entity).execute();
  });

  test('a host name that resolves to loopback is not called, and the attempt does not say what it resolved to', async () => {
    const id = await hookPointingAt(`http://localhost:${port}/hooks`);
    const { node, raw } = await deliverOnce(id);
    expect(node).toMatchObject({ status: 'PENDING', attemptCount: 1, attempts: [{ statusCode: null, error: 'the host name has no address webhooks may call' }] });
    expect(raw).not.toMatch(/127\.0\.0\.1|::1|loopback|private/);
    expect(hits).toBe(0);
    // The operator's log names the kind of failure, not the address either.
    const line = app.logs.filter((l) => l.includes('webhook delivery failed')).pop()!;
    expect(JSON.parse(line)).toMatchObject({ cause: 'EBLOCKED', error: 'the host name has no address webhooks may call' });
    expect(line).not.toMatch(/127\.0\.0\.1/);
  });

  test('a host name that does not resolve reads the same: no oracle for internal names', async () => {
    const id = await hookPointingAt('http://no-such-host.invalid/hooks');
    const { node } = await deliverOnce(id);
    expect(node.attempts).toEqual([{ statusCode: null, error: 'the host name has no address webhooks may call' }]);
  });

  test.each([
    ['IPv4-mapped', `http://[::ffff:7f00:1]:PORT/hooks`],
    ['IPv4-compatible', `http://[::7f00:1]:PORT/hooks`],
    ['6to4', `http://[2002:7f00:1::]:PORT/hooks`],
  ])('an address written into the URL (%s) is checked again at delivery', async (_what, template) => {
    const id = await hookPointingAt(template.replace('PORT', String(port)));
    const { node } = await deliverOnce(id);
    expect(node.attempts).toEqual([{ statusCode: null, error: 'refused: the URL points at a loopback or private address' }]);
    expect(hits).toBe(0);
  });
});
