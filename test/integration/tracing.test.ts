import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningGateway } from '../../src/gateway/gateway';
import { flushTracing } from '../../src/http/tracing';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import { auth, createToken, createWorld, World } from '../helpers/world';

/**
 * OpenTelemetry traces through gateway → subgraph (issue 12, "See it"), with OTEL_EXPORTER_OTLP_ENDPOINT
 * pointing at a collector played by a plain node:http server that accepts OTLP/HTTP JSON exports: the
 * real OTel SDK exports to it. A trace the client starts is continued by the gateway, its `traceparent`
 * reaches the subgraphs, and the tokens service's span is the child of the gateway's call.
 */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
}

/** OTLP/JSON ids are hex; accept base64 too (the protobuf-JSON mapping). */
const hex = (id: string | undefined) => (!id ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));

async function startCollector() {
  const spans: ExportedSpan[] = [];
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(404).end();
        return;
      }
      bodies.push(body);
      const payload = JSON.parse(body) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: ExportedSpan[] }> }> };
      for (const rs of payload.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attr = (span: ExportedSpan, key: string) => span.attributes?.find((a) => a.key === key)?.value.stringValue;
/** The trace id and parent span id of a W3C traceparent header. */
const parseTraceparent = (value: unknown) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(value));
  return m ? { traceId: m[1], parentId: m[2] } : null;
};

describe('OpenTelemetry: gateway → subgraph', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let sg: Supergraph;
  let world: World;
  let gateway: RunningGateway;

  beforeAll(async () => {
    collector = await startCollector();
    sg = await startSupergraph({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    world = await createWorld(sg.app);
    gateway = await sg.startGateway('traced', { via: 'introspection', env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
  });
  afterAll(async () => {
    await sg?.stop();
    await collector?.close();
  });

  /** Flush this process's spans and wait until the collector holds what `done` looks for. */
  async function exported(done: (spans: ExportedSpan[]) => boolean): Promise<ExportedSpan[]> {
    for (let i = 0; i < 50; i++) {
      await flushTracing();
      if (done(collector.spans)) return collector.spans;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the collector never received the spans looked for; it has ${collector.spans.length}: ${collector.spans.map((s) => s.name).join(', ')}`);
  }

  test("the client's trace id reaches both subgraphs, and every span is exported under it", async () => {
    const token = await createToken(sg.app, world.member);
    const traceId = randomBytes(16).toString('hex');
    const clientSpan = randomBytes(8).toString('hex');
    const fromTokens = sg.tokensRequests.length;
    const fromInventory = sg.inventoryRequests.length;
    const res = await sg.gql(gateway, '{ me { id items { id } } }', undefined, auth.apiKey(token.secret), { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(res.errors).toBeUndefined();
    expect(res.data?.me?.id).toBe(world.member.id);

    // What each subgraph received: the same trace, with the gateway's own span as parent (not the client's).
    const atTokens = sg.tokensRequests.slice(fromTokens).map((h) => parseTraceparent(h.traceparent));
    const atInventory = sg.inventoryRequests.slice(fromInventory).map((h) => parseTraceparent(h.traceparent));
    expect(atTokens.length).toBeGreaterThanOrEqual(1);
    expect(atInventory.length).toBeGreaterThanOrEqual(1);
    for (const tp of [...atTokens, ...atInventory]) {
      expect(tp?.traceId).toBe(traceId);
      expect(tp?.parentId).not.toBe(clientSpan);
    }

    const spans = await exported((all) => all.some((s) => s.traceId === traceId && attr(s, 'tokengate.service') === 'tokens') && all.filter((s) => s.traceId === traceId).length >= 3);
    const trace = spans.filter((s) => s.traceId === traceId);
    // The gateway continued the client's trace: its first span's parent is the client's span.
    expect(trace.some((s) => s.parentSpanId === clientSpan)).toBe(true);
    // The tokens service's server span hangs under the very span the gateway named in traceparent.
    const tokensSpan = trace.find((s) => attr(s, 'tokengate.service') === 'tokens' && atTokens.some((tp) => tp?.parentId === s.parentSpanId));
    expect(tokensSpan).toBeDefined();
    expect(tokensSpan!.name).toBe('POST /graphql');
    expect(trace.map((s) => s.spanId)).toContain(tokensSpan!.parentSpanId);
    // Credentials never travel in the exported spans.
    for (const body of collector.bodies) {
      expect(body).not.toContain(token.secret);
      expect(body).not.toContain(token.secret.slice(8));
    }
  });

  test('a request without traceparent starts a trace at the gateway, which the subgraph continues', async () => {
    const fromTokens = sg.tokensRequests.length;
    const res = await sg.gql(gateway, '{ me { id } }', undefined, world.owner.session);
    expect(res.data?.me?.id).toBe(world.owner.id);
    const tp = parseTraceparent(sg.tokensRequests.slice(fromTokens).at(-1)?.traceparent);
    expect(tp).not.toBeNull();
    const spans = await exported((all) => all.some((s) => s.traceId === tp!.traceId && attr(s, 'tokengate.service') === 'tokens'));
    const trace = spans.filter((s) => s.traceId === tp!.traceId);
    expect(trace.length).toBeGreaterThanOrEqual(2);
    // One root: the gateway's request span.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))).toHaveLength(1);
    expect(trace.find((s) => attr(s, 'tokengate.service') === 'tokens')?.parentSpanId).toBe(tp!.parentId);
    for (const body of collector.bodies) expect(body).not.toContain(world.owner.session.slice('Bearer '.length));
  });
});
