import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { OperationType, outcomeOf, recordGraphqlRequest } from '../common/metrics';

/**
 * The tokens service's request metrics (tokengate_graphql_requests_total and
 * tokengate_graphql_request_duration_seconds, service="tokens"): every operation Apollo answers, by
 * operation type and outcome, timed from Apollo's first hook to the response. A request refused while
 * its context was built (a bad or revoked credential, a forged gateway identity) is counted, untimed and
 * of type "unknown": Apollo has not parsed it yet.
 */
export function graphqlMetricsPlugin<C extends BaseContext>(): ApolloServerPlugin<C> {
  return {
    async contextCreationDidFail({ error }) {
      recordGraphqlRequest('tokens', 'unknown', outcomeOf([error as { extensions?: Record<string, unknown> }]));
    },
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, response }) {
          const body = response.body;
          const errors: readonly GraphQLFormattedError[] | undefined = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const type: OperationType = operation?.operation ?? 'unknown';
          recordGraphqlRequest('tokens', type, outcomeOf(errors as Parameters<typeof outcomeOf>[0]), Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}
