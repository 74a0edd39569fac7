import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { register } from 'prom-client';
import { collectProcessMetrics } from '../common/metrics';
import type { MetricsConfig } from '../config';
import { listenOn } from './listen';

const PATH = '/metrics';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics in Prometheus's text format, from prom-client's default registry: every metric this
 * process registered (see src/common/metrics.ts and docs/operations.md, "Metrics and tracing"). Never public by accident:
 *
 * - METRICS_PORT set: served on that port only (at the main port's HOST / GATEWAY_HOST); the main
 *   port answers /metrics as any unknown path.
 * - METRICS_TOKEN set: only to `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time),
 *   on the metrics port when there is one, otherwise on the main port.
 * - Neither: off.
 *
 * The tokens service and the gateway call `handle` first on their main port, and `listen` / `stop`
 * with their own.
 */
export class MetricsEndpoint {
  private server?: http.Server;
  private readonly expected?: Buffer;
  /** The metrics port's base URL once listening (METRICS_PORT only). */
  url?: string;

  constructor(
    private readonly config: MetricsConfig,
    private readonly host: string | undefined,
  ) {
    if (config.token) this.expected = digest(`Bearer ${config.token}`);
    if (config.port !== undefined || config.token) collectProcessMetrics();
  }

  /** Is /metrics served on the main port? */
  get onMainPort(): boolean {
    return this.config.port === undefined && this.config.token !== undefined;
  }

  /** On the main port: answers /metrics when it is served there and returns true; false = not ours, route on. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!this.onMainPort || !isMetricsPath(req.url)) return false;
    this.answer(req, res);
    return true;
  }

  /** With METRICS_PORT: start its listener at `host` (the main port's); resolves with its base URL (undefined without METRICS_PORT). */
  async listen(host = this.host): Promise<string | undefined> {
    if (this.config.port === undefined || this.server) return this.url;
    const server = http.createServer((req, res) => {
      if (isMetricsPath(req.url)) this.answer(req, res);
      else send(res, 404, { error: 'not found' });
    });
    this.server = server;
    this.url = await listenOn(server, this.config.port, host);
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections?.();
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('cache-control', 'no-store');
    if (this.expected && !this.authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      send(res, 401, { error: 'unauthorized' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, { error: 'method not allowed' });
      return;
    }
    register.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader('content-type', register.contentType);
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => send(res, 500, { error: 'metrics unavailable' }),
    );
  }

  private authorized(header: string | undefined): boolean {
    return typeof header === 'string' && header.length <= 1024 && timingSafeEqual(digest(header), this.expected!);
  }
}

function isMetricsPath(url: string | undefined): boolean {
  return (url ?? '/').split('?', 1)[0] === PATH;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** For the start-up log line: where /metrics is, without the token. */
export function describeMetrics(endpoint: MetricsEndpoint): string {
  if (endpoint.url) return `${endpoint.url}${PATH}`;
  return endpoint.onMainPort ? `${PATH} on the main port (METRICS_TOKEN)` : 'off (set METRICS_PORT or METRICS_TOKEN)';
}
