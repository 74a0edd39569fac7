import http from 'node:http';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { RunningGateway } from '../../src/gateway/gateway';
import { REVOKE } from '../helpers/api-tokens';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { auth, createToken, createWorld, World } from '../helpers/world';
import { CLIENT_ADDRESS_HEADER, CLIENT_AGENT_HEADER } from '../../src/subgraph-kit';

/*
 * Audit rows carry the client address and user agent of the request that made the change. They travel
 * explicitly from the GraphQL context to the service that writes the row (no request-scoped storage), so
 * two requests in flight at once, even with the same credential (whose principal is cached and shared),
 * each stamp their own.
 */

/** The address as the service's dual-stack socket reports it (IPv4-mapped) or plain. */
const address = (ip: string) => expect.stringMatching(new RegExp(`^(::ffff:)?${ip.replace(/\./g, '\\.')}$`));

let sg: Supergraph;
let world: World;
let gateway: RunningGateway;
beforeAll(async () => {
  sg = await startSupergraph();
  world = await createWorld(sg.app);
  gateway = await sg.startGateway('audit-meta', { via: 'inProcess' });
});
afterAll(() => sg?.stop());

const rowsFor = (targetId: string) => sg.app.server.dataSource.getRepository(AuditEvent).findBy({ targetId, action: 'token.revoked' });

/** POST from a chosen local address (any of 127/8 is this host's loopback) with a chosen user agent. */
function postFrom(url: string, localAddress: string, userAgent: string, query: string, variables: Record<string, unknown>, authorization: string, extra: Record<string, string> = {}) {
  const body = JSON.stringify({ query, variables });
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = http.request(
      url.replace('//localhost:', '//127.0.0.1:'),
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { ...extra, 'content-type': 'application/json', 'user-agent': userAgent, authorization, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('audit rows carry the request that made the change', () => {
  test('directly: the client address and user agent', async () => {
    const t = await createToken(sg.app, world.member);
    const res = await postFrom(sg.app.url, '127.0.0.2', 'audit-test/direct', REVOKE, { id: t.id }, world.member.session);
    expect(res.body.errors).toBeUndefined();
    expect(await rowsFor(t.id)).toEqual([expect.objectContaining({ ip: address('127.0.0.2'), userAgent: 'audit-test/direct' })]);
  });

  test('through the gateway: the client the gateway calls for, as it forwards it', async () => {
    const t = await createToken(sg.app, world.member);
    const res = await postFrom(gateway.url, '127.0.0.3', 'audit-test/gateway', REVOKE, { id: t.id }, world.member.session);
    expect(res.body.errors).toBeUndefined();
    expect(await rowsFor(t.id)).toEqual([expect.objectContaining({ ip: address('127.0.0.3'), userAgent: 'audit-test/gateway' })]);
  });

  test('what a client writes in the forwarding headers is ignored, directly and through the gateway', async () => {
    const forged = { [CLIENT_ADDRESS_HEADER]: '198.51.100.66', [CLIENT_AGENT_HEADER]: 'forged/1.0' };
    const direct = await createToken(sg.app, world.member);
    expect((await postFrom(sg.app.url, '127.0.0.4', 'audit-test/direct-forger', REVOKE, { id: direct.id }, world.member.session, forged)).body.errors).toBeUndefined();
    expect(await rowsFor(direct.id)).toEqual([expect.objectContaining({ ip: address('127.0.0.4'), userAgent: 'audit-test/direct-forger' })]);
    const viaGateway = await createToken(sg.app, world.member);
    expect((await postFrom(gateway.url, '127.0.0.5', 'audit-test/gateway-forger', REVOKE, { id: viaGateway.id }, world.member.session, forged)).body.errors).toBeUndefined();
    expect(await rowsFor(viaGateway.id)).toEqual([expect.objectContaining({ ip: address('127.0.0.5'), userAgent: 'audit-test/gateway-forger' })]);
  });

  test('concurrent mutations with one credential from different addresses each record their own', async () => {
    // One API token for all of them: its principal is cached and shared by the requests in flight.
    const actor = await createToken(sg.app, world.member, { name: 'actor' });
    const targets = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createToken(sg.app, world.member)));
    await sg.app.ok('{ me { id } }', {}, auth.apiKey(actor.secret)); // the principal is now cached
    const from = targets.map((_, i) => ({ ip: `127.0.0.${10 + i}`, userAgent: `audit-test/${i}` }));
    const answers = await Promise.all(targets.map((t, i) => postFrom(sg.app.url, from[i].ip, from[i].userAgent, REVOKE, { id: t.id }, auth.apiKey(actor.secret))));
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    for (const [i, t] of targets.entries()) {
      expect(await rowsFor(t.id)).toEqual([expect.objectContaining({ ip: address(from[i].ip), userAgent: from[i].userAgent, actorTokenId: actor.id })]);
    }
  });

  test('through the gateway, concurrent mutations from different clients each record their own', async () => {
    const actor = await createToken(sg.app, world.member, { name: 'gateway-actor' });
    const targets = await Promise.all([1, 2, 3, 4].map(() => createToken(sg.app, world.member)));
    const answers = await Promise.all(targets.map((t, i) => postFrom(gateway.url, `127.0.0.${20 + i}`, `audit-test/gw-${i}`, REVOKE, { id: t.id }, auth.apiKey(actor.secret))));
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    for (const [i, t] of targets.entries()) {
      expect(await rowsFor(t.id)).toEqual([expect.objectContaining({ ip: address(`127.0.0.${20 + i}`), userAgent: `audit-test/gw-${i}`, actorTokenId: actor.id })]);
    }
  });
});
