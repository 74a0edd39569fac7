import { graphqlMetricsPlugin } from './graphql-metrics';
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '../config';
import type { Context } from '../context';
import { createErrorFormatter, executionStatusPlugin } from '../errors';
import type { Logger } from '../logger';
import { buildSchema } from '../schema';
import { introspectionPolicy } from './introspection-policy';

/** The schema behind shield, with the query limits, the error formatter and the plugins; started, draining httpServer on stop(). */
export async function startApollo(config: Config, logger: Logger, httpServer: http.Server): Promise<ApolloServer<Context>> {
  const production = config.env === 'production';
  const armor = queryLimits(config, !production);
  const apollo = new ApolloServer<Context>({
    schema: buildSchema(),
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: config.queryLimits.maxTokens },
    // Always on for Apollo: introspectionPolicy() decides per caller (OWNER/ADMIN only unless INTROSPECTION is on).
    introspection: true,
    includeStacktraceInErrorResponses: !production && config.env !== 'test',
    formatError: createErrorFormatter(logger, { exposeDetails: !production }),
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: drain, flush usage, close the pool, exit 0.
    stopOnTerminationSignals: false,
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
    plugins: [
      introspectionPolicy(config.introspection),
      // SERVICE_UNAVAILABLE raised while an operation runs answers 503 (the error table's duringExecution).
      executionStatusPlugin,
      graphqlMetricsPlugin(),
      // Apollo turns on federated inline tracing for subgraph schemas: any client sending
      // apollo-federation-include-trace would get resolver timings. The Hive gateway does not use them.
      ApolloServerPluginInlineTraceDisabled(),
      // Nothing here is cacheable (Cache-Control: no-store on every response), so Apollo's cache-control
      // plugin would only add a willResolveField hook to every field of every response.
      ApolloServerPluginCacheControlDisabled(),
      ...armor.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  return apollo;
}

/** Query limits: depth, cost, aliases, directives (tokens: parseOptions above). */
function queryLimits(config: Config, exposeLimits: boolean) {
  return new ApolloArmor({
    maxDepth: { n: config.queryLimits.maxDepth, ignoreIntrospection: true, flattenFragments: true, exposeLimits },
    costLimit: { maxCost: config.queryLimits.maxCost, ignoreIntrospection: true, exposeLimits },
    maxAliases: { n: config.queryLimits.maxAliases, exposeLimits },
    maxDirectives: { n: config.queryLimits.maxDirectives, exposeLimits },
    // graphql-armor's max-tokens plugin re-parses in parsingDidStart and turns any syntax error it meets
    // into an HTTP 500; graphql-js enforces the same limit natively through parseOptions.
    maxTokens: { enabled: false },
    // "Did you mean …?" suggestions are dropped by formatError in production (no per-request plugin).
    blockFieldSuggestion: { enabled: false },
  }).protect();
}
