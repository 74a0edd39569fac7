import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { ExecutionResult, getOperationAST } from 'graphql';
import { OperationType, outcomeOf, recordGraphqlRequest, recordSubgraphCall } from '../common/metrics';

type Errors = Parameters<typeof outcomeOf>[0];

const elapsed = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

function errorsOf(result: unknown): Errors {
  // One operation per request (batching is off); a stream (subscription, @defer) counts as answered when it starts.
  if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return undefined;
  return (result as ExecutionResult).errors as Errors;
}

/**
 * The gateway's request metrics, with the same names and labels as the tokens service's
 * (service="gateway"): every request to the GraphQL endpoint, by operation type and outcome, timed
 * from the moment it reached the runtime to the result; and every subgraph call
 * (tokengate_gateway_subgraph_*). A request refused before execution (unreadable, over a limit, a bad
 * credential) has operation type "unknown". Hive's own Prometheus plugin (@graphql-mesh/plugin-prometheus)
 * was not used: on dispose it clears prom-client's whole default registry (every other metric of the
 * process with it), and its default labels carry client-chosen operation names (unbounded series).
 */
export function gatewayMetricsPlugin(graphqlEndpoint: string): GatewayPlugin {
  const requests = new WeakMap<Request, { started: bigint; type: OperationType }>();
  const typeOf = (args: { document: Parameters<typeof getOperationAST>[0]; operationName?: string | null; contextValue?: unknown }) => {
    const request = (args.contextValue as { request?: Request } | undefined)?.request;
    const entry = request && requests.get(request);
    if (entry) entry.type = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
  };
  return {
    onRequest({ request, url }) {
      if (url.pathname === graphqlEndpoint) requests.set(request, { started: process.hrtime.bigint(), type: 'unknown' });
    },
    onExecute({ args }) {
      typeOf(args);
    },
    onSubscribe({ args }) {
      typeOf(args);
    },
    onResultProcess({ request, result }) {
      const entry = requests.get(request);
      if (!entry) return;
      requests.delete(request);
      recordGraphqlRequest('gateway', entry.type, outcomeOf(errorsOf(result)), elapsed(entry.started));
    },
    onSubgraphExecute({ subgraphName }) {
      const started = process.hrtime.bigint();
      return ({ result }) => {
        recordSubgraphCall(subgraphName, outcomeOf(errorsOf(result)), elapsed(started));
      };
    },
  };
}
