import { collectDefaultMetrics, Counter, Gauge, Histogram, Metric, register } from 'prom-client';
import { PUBLIC_CODES } from '../errors';

/*
 * The tokens service's and the gateway's own Prometheus metrics, on prom-client's default registry
 * (the one /metrics serves, and the one every other part of the process registers on: Redis fan-out,
 * shared rate limits, Hive Gateway's subgraph metrics). Each metric exists once per process: a second
 * server in the same process (tests, an in-process gateway) records into the same series, told apart
 * by the `service` label where both kinds can share a process.
 */

/** A metric already registered under this name (another module, or a second load of this one), else a new one. */
function once<M extends Metric>(name: string, make: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? make();
}

/** Node's process metrics (CPU, memory, event-loop lag, GC, handles), registered once per process. */
export function collectProcessMetrics(): void {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
}

export type MetricsService = 'tokens' | 'gateway';
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const requests = once(
  'tokengate_graphql_requests_total',
  () =>
    new Counter({
      name: 'tokengate_graphql_requests_total',
      help: 'GraphQL requests answered, by service, operation type and outcome ("ok" or the first error\'s extensions.code)',
      labelNames: ['service', 'operation_type', 'outcome'] as const,
    }),
);

const latency = once(
  'tokengate_graphql_request_duration_seconds',
  () =>
    new Histogram({
      name: 'tokengate_graphql_request_duration_seconds',
      help: 'Time from a GraphQL request reaching the GraphQL server to its answer, by service, operation type and outcome',
      labelNames: ['service', 'operation_type', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
    }),
);

const cacheLookups = once(
  'tokengate_verification_cache_lookups_total',
  () =>
    new Counter({
      name: 'tokengate_verification_cache_lookups_total',
      help: "Verification cache look-ups by cache (token: the tokens service's TokenCache; gateway_credential: the gateway's verified-credential cache; gateway_verdict: the gateway's memoised authorization verdicts) and result (hit, miss)",
      labelNames: ['cache', 'result'] as const,
    }),
);

/**
 * "ok", or the first error's code. The label's values stay bounded: a code outside Tokengate's public
 * vocabulary (errors.ts), or none, counts as INTERNAL_SERVER_ERROR.
 */
export function outcomeOf(errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined): string {
  if (!errors || errors.length === 0) return 'ok';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && PUBLIC_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/** One answered GraphQL request; `seconds` undefined when it was refused before it could be timed. */
export function recordGraphqlRequest(service: MetricsService, operationType: OperationType, outcome: string, seconds?: number): void {
  const labels = { service, operation_type: operationType, outcome };
  requests.inc(labels);
  if (seconds !== undefined) latency.observe(labels, seconds);
}

const subgraphRequests = once(
  'tokengate_gateway_subgraph_requests_total',
  () =>
    new Counter({
      name: 'tokengate_gateway_subgraph_requests_total',
      help: 'Calls the gateway made to a subgraph, by subgraph and outcome ("ok" or the first error\'s code)',
      labelNames: ['subgraph', 'outcome'] as const,
    }),
);

const subgraphLatency = once(
  'tokengate_gateway_subgraph_request_duration_seconds',
  () =>
    new Histogram({
      name: 'tokengate_gateway_subgraph_request_duration_seconds',
      help: 'Time the gateway waited for a subgraph call, by subgraph',
      labelNames: ['subgraph'] as const,
      buckets: LATENCY_BUCKETS,
    }),
);

/** One call from the gateway to a subgraph (names come from the supergraph: a bounded set). */
export function recordSubgraphCall(subgraph: string, outcome: string, seconds: number): void {
  subgraphRequests.inc({ subgraph, outcome });
  subgraphLatency.observe({ subgraph }, seconds);
}

export type VerificationCache = 'token' | 'gateway_credential' | 'gateway_verdict';

export function recordCacheLookup(cache: VerificationCache, hit: boolean): void {
  cacheLookups.inc({ cache, result: hit ? 'hit' : 'miss' });
}

/** A database probe: `SELECT 1` on the pool; healthy when it resolves within 2 s. */
export type DatabaseProbe = () => Promise<unknown>;

function answersInTime(probe: DatabaseProbe, ms = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    probe().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

const databaseProbes = new Set<DatabaseProbe>();

once(
  'tokengate_database_up',
  () =>
    new Gauge({
      name: 'tokengate_database_up',
      help: '1 when the tokens database answered SELECT 1 within 2 s at scrape time (the /readyz check), 0 otherwise; absent in a process without a database',
      labelNames: ['database'] as const,
      async collect() {
        if (databaseProbes.size === 0) return;
        const results = await Promise.all([...databaseProbes].map((probe) => answersInTime(probe)));
        this.set({ database: 'tokens' }, results.every(Boolean) ? 1 : 0);
      },
    }),
);

/** Report this database's health at every scrape (the readiness check's probe). Returns the unregister. */
export function watchDatabase(probe: DatabaseProbe): () => void {
  databaseProbes.add(probe);
  return () => databaseProbes.delete(probe);
}
