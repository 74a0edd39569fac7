import type { RunningGateway } from '../../src/gateway/gateway';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { registerSecret } from '../helpers/secret-registry';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * /metrics on the tokens service and the gateway (issue 12, "See it"): never served without its
 * credential or its port, and its counters move with the requests and verifications they count.
 * Every way of serving it is exercised: the tokens service on METRICS_PORT with METRICS_TOKEN, a
 * gateway on its main port with METRICS_TOKEN, a gateway on METRICS_PORT alone, a gateway with neither.
 */
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnopqrstuvwxyz';
const OTHER_TOKEN = 'metrics-token-9876543210-zyxwvutsrqponmlkjihgfedcba';
registerSecret('METRICS_TOKEN (test)', METRICS_TOKEN);

type Labels = Record<string, string>;

/** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
export function sample(text: string, name: string, labels: Labels = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) have[l[1]] = l[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('/metrics', () => {
  let sg: Supergraph;
  let world: World;
  let tokensMetrics: string;
  let withToken: RunningGateway;
  let onPort: RunningGateway;
  let off: RunningGateway;

  beforeAll(async () => {
    sg = await startSupergraph({ METRICS_PORT: '0', METRICS_TOKEN });
    world = await createWorld(sg.app);
    tokensMetrics = `${sg.app.server.metrics.url}/metrics`;
    withToken = await sg.startGateway('token', { via: 'introspection', ttlMs: 60_000, env: { METRICS_TOKEN } });
    onPort = await sg.startGateway('port', { env: { METRICS_PORT: '0' } });
    off = await sg.startGateway('off');
  });
  afterAll(() => sg?.stop());

  const gatewayBase = (gw: RunningGateway) => gw.url.replace(/\/graphql$/, '');
  const scrape = async (url: string, headers: Record<string, string> = bearer(METRICS_TOKEN)) => {
    const res = await fetch(url, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  describe('protection', () => {
    test('the tokens service serves it on METRICS_PORT, only with METRICS_TOKEN', async () => {
      expect(sg.app.server.metrics.url).toMatch(/^http:\/\/localhost:\d+$/);
      expect(sg.app.server.metrics.url).not.toBe(sg.app.base);
      for (const headers of [{}, bearer(OTHER_TOKEN), { authorization: METRICS_TOKEN }, { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` }]) {
        const res = await fetch(tokensMetrics, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        const body = await res.text();
        expect(body).not.toContain('tokengate_');
        expect(body).not.toContain(METRICS_TOKEN);
      }
      expect(await scrape(tokensMetrics)).toContain('tokengate_graphql_requests_total');
      // The metrics port serves nothing else.
      expect((await fetch(`${sg.app.server.metrics.url}/graphql`, { headers: bearer(METRICS_TOKEN) })).status).toBe(404);
    });

    test('with METRICS_PORT, the main port does not serve it, even with the token', async () => {
      for (const headers of [{}, bearer(METRICS_TOKEN)]) {
        const res = await fetch(`${sg.app.base}/metrics`, { headers });
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain('tokengate_');
      }
      const gw = await fetch(`${gatewayBase(onPort)}/metrics`);
      expect(await gw.text()).not.toContain('tokengate_');
      expect(gw.status).toBe(404);
    });

    test('a gateway with METRICS_TOKEN alone serves it on its main port, only with the token', async () => {
      expect(withToken.metrics.url).toBeUndefined();
      for (const path of ['/metrics', '/metrics?format=text']) {
        for (const headers of [{}, bearer(OTHER_TOKEN), bearer(`${METRICS_TOKEN}x`)]) {
          const res = await fetch(`${gatewayBase(withToken)}${path}`, { headers });
          expect(res.status).toBe(401);
          expect(await res.text()).not.toContain('tokengate_');
        }
      }
      expect(await scrape(`${gatewayBase(withToken)}/metrics`)).toContain('tokengate_graphql_requests_total');
      // Not a way around the gateway's own endpoint: GraphQL still answers as before.
      const me = await sg.gql(withToken, '{ me { id } }', undefined, world.owner.session);
      expect(me.data?.me?.id).toBe(world.owner.id);
    });

    test('a gateway with METRICS_PORT alone serves it there, without a credential (the port is the protection)', async () => {
      expect(onPort.metrics.url).toMatch(/^http:\/\/localhost:\d+$/);
      expect(await scrape(`${onPort.metrics.url}/metrics`, {})).toContain('tokengate_graphql_requests_total');
    });

    test('with neither METRICS_PORT nor METRICS_TOKEN it is off', async () => {
      expect(off.metrics.url).toBeUndefined();
      for (const headers of [{}, bearer(METRICS_TOKEN)]) {
        const res = await fetch(`${gatewayBase(off)}/metrics`, { headers });
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain('tokengate_');
      }
    });
  });

  describe('counters move with the traffic they count', () => {
    test('requests by service, operation type and outcome, with their latency', async () => {
      const token = await createToken(sg.app, world.member);
      const before = await scrape(tokensMetrics);
      const q = (service: string, operation_type: string, outcome: string) => ({ service, operation_type, outcome });

      // Through the gateway: one query that succeeds (one subgraph call to tokens), one with a bad credential.
      const me = await sg.gql(withToken, '{ me { id } }', undefined, auth.apiKey(token.secret));
      expect(me.data?.me?.id).toBe(world.member.id);
      const bad = await sg.gql(withToken, '{ me { id } }', undefined, auth.apiKey(`${token.secret.slice(0, -4)}AAAA`));
      expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      // Directly at the tokens service: a mutation that succeeds and one with bad input.
      await sg.app.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id status } }', { id: token.id }, world.member.session);
      const invalid = await sg.app.gql('mutation { createApiToken(input: { name: "" }) { secret } }', undefined, world.member.session);
      expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

      const after = await scrape(`${onPort.metrics.url}/metrics`, {});
      const delta = (name: string, labels: Labels) => sample(after, name, labels) - sample(before, name, labels);
      expect(delta('tokengate_graphql_requests_total', q('gateway', 'query', 'ok'))).toBe(1);
      expect(delta('tokengate_graphql_request_duration_seconds_count', q('gateway', 'query', 'ok'))).toBe(1);
      expect(delta('tokengate_graphql_request_duration_seconds_sum', q('gateway', 'query', 'ok'))).toBeGreaterThan(0);
      expect(delta('tokengate_graphql_requests_total', { service: 'gateway', outcome: 'UNAUTHENTICATED' })).toBe(1);
      expect(delta('tokengate_gateway_subgraph_requests_total', { subgraph: 'tokens', outcome: 'ok' })).toBe(1);
      expect(delta('tokengate_gateway_subgraph_request_duration_seconds_count', { subgraph: 'tokens' })).toBe(1);
      // The gateway's subgraph call, as the tokens service saw it.
      expect(delta('tokengate_graphql_requests_total', q('tokens', 'query', 'ok'))).toBe(1);
      expect(delta('tokengate_graphql_requests_total', q('tokens', 'mutation', 'ok'))).toBe(1);
      expect(delta('tokengate_graphql_requests_total', q('tokens', 'mutation', 'BAD_USER_INPUT'))).toBe(1);
      expect(delta('tokengate_graphql_request_duration_seconds_count', q('tokens', 'mutation', 'BAD_USER_INPUT'))).toBe(1);
      // Every outcome is a code of the public vocabulary or "ok".
      for (const m of after.matchAll(/^tokengate_graphql_requests_total\{.*outcome="([^"]*)".*\} /gm)) expect(m[1]).toMatch(/^(ok|[A-Z_]+)$/);
    });

    test('a credential refused while the tokens service builds its context is counted', async () => {
      const before = await scrape(tokensMetrics);
      const res = await sg.app.gql('{ me { id } }', undefined, auth.apiKey('tg_not-a-real-token'));
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const after = await scrape(tokensMetrics);
      expect(
        sample(after, 'tokengate_graphql_requests_total', { service: 'tokens', outcome: 'UNAUTHENTICATED' }) -
          sample(before, 'tokengate_graphql_requests_total', { service: 'tokens', outcome: 'UNAUTHENTICATED' }),
      ).toBe(1);
    });

    test('verification cache hits and misses: the gateway credential cache, its verdicts, the tokens service cache', async () => {
      const token = await createToken(sg.app, world.admin);
      const lookups = (text: string, cache: string, result: string) => sample(text, 'tokengate_verification_cache_lookups_total', { cache, result });
      const t0 = await scrape(tokensMetrics);
      // First use at the gateway: its credential cache misses, the tokens service verifies it (introspection).
      const query = '{ me { id role } }';
      expect((await sg.gql(withToken, query, undefined, auth.apiKey(token.secret))).data?.me?.role).toBe('ADMIN');
      const t1 = await scrape(tokensMetrics);
      expect(lookups(t1, 'gateway_credential', 'miss') - lookups(t0, 'gateway_credential', 'miss')).toBe(1);
      expect(lookups(t1, 'gateway_credential', 'hit') - lookups(t0, 'gateway_credential', 'hit')).toBe(0);
      expect(lookups(t1, 'token', 'miss') - lookups(t0, 'token', 'miss')).toBeGreaterThanOrEqual(1);
      // Second use: answered from the gateway's cache, the same operation's verdict replayed; the tokens service
      // checks the signed identity against its cache (a hit: the introspection filled it).
      expect((await sg.gql(withToken, query, undefined, auth.apiKey(token.secret))).data?.me?.role).toBe('ADMIN');
      const t2 = await scrape(tokensMetrics);
      expect(lookups(t2, 'gateway_credential', 'hit') - lookups(t1, 'gateway_credential', 'hit')).toBe(1);
      expect(lookups(t2, 'gateway_credential', 'miss') - lookups(t1, 'gateway_credential', 'miss')).toBe(0);
      expect(lookups(t2, 'gateway_verdict', 'hit') - lookups(t1, 'gateway_verdict', 'hit')).toBe(1);
      expect(lookups(t2, 'token', 'hit') - lookups(t1, 'token', 'hit')).toBeGreaterThanOrEqual(1);
    });

    test('without OTEL_EXPORTER_OTLP_ENDPOINT there is no tracing: the gateway adds no traceparent to subgraph calls', async () => {
      const from = sg.tokensRequests.length;
      expect((await sg.gql(withToken, '{ me { id } }', undefined, world.owner.session)).data?.me?.id).toBe(world.owner.id);
      const calls = sg.tokensRequests.slice(from);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const h of calls) expect(h.traceparent).toBeUndefined();
    });

    test('database health and the process metrics are there', async () => {
      const text = await scrape(tokensMetrics);
      expect(sample(text, 'tokengate_database_up', { database: 'tokens' })).toBe(1);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect(text).toMatch(/^process_resident_memory_bytes /m);
    });
  });
});
