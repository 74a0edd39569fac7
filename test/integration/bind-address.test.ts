import type { AddressInfo } from 'node:net';
import { startSupergraph, Supergraph } from '../helpers/supergraph';

/*
 * HOST (tokens service) and GATEWAY_HOST (gateway): where each server listens. Unset, every interface,
 * as before (Docker publishes ports from the container's interface); set, that address only.
 */
const answers = async (url: string): Promise<boolean> => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
};
const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

describe('bind address', () => {
  let sg: Supergraph;
  beforeAll(async () => {
    sg = await startSupergraph({ HOST: '127.0.0.1', METRICS_PORT: '0' });
  });
  afterAll(() => sg?.stop());

  test('HOST=127.0.0.1: the tokens service listens on IPv4 loopback only, and says so in its URL', async () => {
    const server = sg.app.server.httpServer;
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(sg.app.url).toBe(`http://127.0.0.1:${port(server)}/graphql`);
    expect(await answers(`http://127.0.0.1:${port(server)}/healthz`)).toBe(true);
    expect(await answers(`http://[::1]:${port(server)}/healthz`)).toBe(false);
  });

  test('METRICS_PORT binds where the main port does: HOST for the tokens service, GATEWAY_HOST for the gateway', async () => {
    const tokensMetrics = new URL(sg.app.server.metrics.url!);
    expect(tokensMetrics.hostname).toBe('127.0.0.1');
    expect(await answers(`http://127.0.0.1:${tokensMetrics.port}/metrics`)).toBe(true);
    expect(await answers(`http://[::1]:${tokensMetrics.port}/metrics`)).toBe(false);
    const gw = await sg.startGateway('ipv6-metrics', { env: { GATEWAY_HOST: '::1', METRICS_PORT: '0' } });
    const gatewayMetrics = new URL(gw.metrics.url!);
    expect(gatewayMetrics.hostname).toBe('[::1]');
    expect(await answers(`http://[::1]:${gatewayMetrics.port}/metrics`)).toBe(true);
    expect(await answers(`http://127.0.0.1:${gatewayMetrics.port}/metrics`)).toBe(false);
  });

  test('GATEWAY_HOST=::1: the gateway listens on IPv6 loopback only, and serves the supergraph there', async () => {
    const gw = await sg.startGateway('ipv6-only', { env: { GATEWAY_HOST: '::1' } });
    expect((gw.server.address() as AddressInfo).address).toBe('::1');
    expect(gw.url).toBe(`http://[::1]:${port(gw.server)}/graphql`);
    expect(await answers(`http://[::1]:${port(gw.server)}/healthz`)).toBe(true);
    expect(await answers(`http://127.0.0.1:${port(gw.server)}/healthz`)).toBe(false);
    const res = await sg.gql(gw, '{ catalog { name } }');
    expect(res.data.catalog[0].name).toBe('Widget');
  });

  test('unset: every interface, IPv4 and IPv6 alike (the default is unchanged)', async () => {
    const gw = await sg.startGateway('everywhere');
    expect(['::', '0.0.0.0']).toContain((gw.server.address() as AddressInfo).address);
    expect(gw.url).toBe(`http://localhost:${port(gw.server)}/graphql`);
    expect(await answers(`http://127.0.0.1:${port(gw.server)}/healthz`)).toBe(true);
    if ((gw.server.address() as AddressInfo).address === '::') expect(await answers(`http://[::1]:${port(gw.server)}/healthz`)).toBe(true);
  });
});
