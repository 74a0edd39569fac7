import { resolve } from 'node:path';
import {
  bool,
  Config,
  ConfigError,
  MetricsConfig,
  parseMetricsConfig,
  parseRedisSettings,
  parseTracingConfig,
  RedisSettings,
  TracingConfig,
  parseCorsOrigins,
  parseTrustProxy,
  parseEnvName,
  parseGatewaySecret,
  parseHost,
  parseIdentityPrivateKey,
  parseLogLevel,
  parseRequestLimits,
} from '../config';
import type { GatewayLimits } from './limits';

/** The gateway's environment variables, parsed and validated once (the tokens service's are in src/config.ts). */
export interface GatewayConfig {
  port: number;
  /** GATEWAY_HOST: the address to listen on; undefined = every interface. */
  host?: string;
  supergraphPath: string;
  gatewaySecret: string;
  identityPrivateKey: string;
  mode: 'filter' | 'reject';
  authCacheTtlMs: number;
  /** Remote authentication; unset = in-process (the gateway opens the tokens database itself). */
  introspectionUrl?: string;
  rateLimitPerToken: number;
  rateLimitAnonymousPerIp: number;
  exposeErrors: boolean;
  /** QUERY_MAX_*, BODY_LIMIT_BYTES: the same variables (and defaults) as the tokens service. */
  limits: GatewayLimits;
  /** CORS_ORIGINS, as for the tokens service: none by default in production. */
  corsOrigins: string[];
  production: boolean;
  /**
   * INTROSPECTION: schema introspection (`__schema`, `__type`) for everyone. Default: on outside production.
   * Off: only OWNER and ADMIN callers may introspect the supergraph (the tokens service's policy).
   */
  introspection: boolean;
  /** TRUST_PROXY, as for the tokens service: which X-Forwarded-For hops name the client (rate limits, usage). */
  trustProxy: boolean | number | string;
  /** LOG_LEVEL, as for the tokens service. */
  logLevel: Config['logLevel'];
  /** METRICS_PORT / METRICS_TOKEN, as for the tokens service (the metrics port binds at GATEWAY_HOST). */
  metrics: MetricsConfig;
  /** OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_SERVICE_NAME, as for the tokens service; null = no traces. */
  tracing: TracingConfig | null;
  /** REDIS_URL …, as for the tokens service: shared rate limits and invalidations; null = this instance alone. */
  redis: RedisSettings | null;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const v = Number(raw);
  if (v < min || v > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** The gateway's limits from the shared values; production hides the limits and field suggestions. */
export function gatewayLimits(shared: ReturnType<typeof parseRequestLimits>, production: boolean): GatewayLimits {
  return { ...shared.queryLimits, bodyLimitBytes: shared.bodyLimitBytes, exposeLimits: !production, blockFieldSuggestions: production };
}

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const nodeEnv = parseEnvName(env.NODE_ENV);
  const production = nodeEnv === 'production';
  const supergraphPath = env.SUPERGRAPH_PATH?.trim();
  if (!supergraphPath) throw new ConfigError('SUPERGRAPH_PATH is required: the supergraph SDL composed by `npm run compose`');
  const gatewaySecret = parseGatewaySecret(env);
  if (!gatewaySecret) throw new ConfigError('GATEWAY_SECRET (or GATEWAY_SECRET_FILE) is required (≥ 32 characters), the same value the subgraphs are given');
  const mode = (env.GATEWAY_AUTH_MODE?.trim().toLowerCase() || 'filter') as GatewayConfig['mode'];
  if (mode !== 'filter' && mode !== 'reject') throw new ConfigError(`GATEWAY_AUTH_MODE must be filter or reject, got "${env.GATEWAY_AUTH_MODE}"`);
  const introspectionUrl = env.TOKENS_INTROSPECTION_URL?.trim() || undefined;
  if (introspectionUrl && !/^https?:\/\//.test(introspectionUrl)) throw new ConfigError('TOKENS_INTROSPECTION_URL must be an http(s) URL');
  return {
    port: int(env, 'GATEWAY_PORT', 4001, 0, 65535),
    host: parseHost(env.GATEWAY_HOST, 'GATEWAY_HOST'),
    supergraphPath: resolve(supergraphPath),
    gatewaySecret,
    identityPrivateKey: parseIdentityPrivateKey(env, nodeEnv, resolve(env.DATA_DIR?.trim() || 'data'), true),
    mode,
    authCacheTtlMs: int(env, 'GATEWAY_AUTH_CACHE_TTL_MS', 5000, 0, 300_000),
    introspectionUrl,
    rateLimitPerToken: int(env, 'GATEWAY_RATE_LIMIT_PER_TOKEN', 600, 0, 1_000_000),
    rateLimitAnonymousPerIp: int(env, 'GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP', 60, 0, 1_000_000),
    exposeErrors: !production,
    limits: gatewayLimits(parseRequestLimits(env), production),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS, production),
    production,
    introspection: bool(env, 'INTROSPECTION', !production),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: parseLogLevel(env, 'info'),
    metrics: parseMetricsConfig(env),
    tracing: parseTracingConfig(env, 'tokengate-gateway'),
    redis: parseRedisSettings(env),
  };
}
