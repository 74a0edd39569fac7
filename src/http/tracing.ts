import type http from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResult, ExportResultCode, parseKeyPairsIntoRecord, W3CTraceContextPropagator } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config';

/*
 * OpenTelemetry traces, only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one tracer provider per process
 * (the OTel SDK's BasicTracerProvider and BatchSpanProcessor, which reads OTEL_BSP_*), W3C Trace Context
 * propagation and an AsyncLocalStorage context manager, registered as OpenTelemetry's globals. Spans go
 * to <endpoint>/v1/traces as OTLP/HTTP JSON (the SDK's own serializer), with OTEL_EXPORTER_OTLP_HEADERS.
 * The gateway's spans come from Hive Gateway's OpenTelemetry plugin (the HTTP request, GraphQL phases,
 * each subgraph call, `traceparent` sent to the subgraph); the tokens service opens one server span per
 * request, continuing the trace its caller (the gateway) sent.
 */

/**
 * The POST itself is Node's fetch rather than @opentelemetry/exporter-trace-otlp-http: that exporter loads
 * node:http with a dynamic import() on its first export (so as not to pre-empt http instrumentation, which
 * Tokengate does not use), which Jest's module sandbox refuses, leaving the traces untestable there.
 * A failed export is reported to the SDK (which logs it through its diag logger) and never retried.
 */
class OtlpJsonExporter implements SpanExporter {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs = 10_000,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const body = JsonTraceSerializer.serializeRequest(spans);
    if (!body) {
      done({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialized') });
      return;
    }
    const sent = fetch(this.url, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: Buffer.from(body).toString('utf8'),
      signal: AbortSignal.timeout(this.timeoutMs),
    }).then(
      async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        done(res.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error(`the OTLP collector answered ${res.status}`) });
      },
      (error: unknown) => done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}

let provider: BasicTracerProvider | undefined;

/** Register the process's tracer provider (the first caller's service name names the process); idempotent. */
export function startTracing(config: TracingConfig): void {
  if (provider) return;
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OtlpJsonExporter(`${config.endpoint.replace(/\/+$/, '')}/v1/traces`, parseKeyPairsIntoRecord(process.env.OTEL_EXPORTER_OTLP_HEADERS)))],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}

/** Export every span ended so far (a server's stop, before the process exits). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/**
 * One SERVER span per request the tokens service receives, child of the caller's `traceparent`
 * (the gateway's subgraph call) when there is one. A listener placed before the service's own, so the
 * HTTP layer is untouched; the path is recorded without its query string.
 */
export function traceRequests(server: http.Server): void {
  const tracer = trace.getTracer('tokengate');
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': path, 'tokengate.service': 'tokens' } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
  });
}
