import { resolve } from 'node:path';
import { Config, ConfigError, parseGatewaySecret, parseIdentityPrivateKey } from '../config';

/** The gateway's environment variables, parsed and validated once (the tokens service's are in src/config.ts). */
export interface GatewayConfig {
  port: number;
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

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const nodeEnv = (env.NODE_ENV?.trim().toLowerCase() || 'development') as Config['env'];
  const supergraphPath = env.SUPERGRAPH_PATH?.trim();
  if (!supergraphPath) throw new ConfigError('SUPERGRAPH_PATH is required: the supergraph SDL composed by `npm run compose`');
  const gatewaySecret = parseGatewaySecret(env);
  if (!gatewaySecret) throw new ConfigError('GATEWAY_SECRET is required (≥ 32 characters), the same value the subgraphs are given');
  const mode = (env.GATEWAY_AUTH_MODE?.trim().toLowerCase() || 'filter') as GatewayConfig['mode'];
  if (mode !== 'filter' && mode !== 'reject') throw new ConfigError(`GATEWAY_AUTH_MODE must be filter or reject, got "${env.GATEWAY_AUTH_MODE}"`);
  const introspectionUrl = env.TOKENS_INTROSPECTION_URL?.trim() || undefined;
  if (introspectionUrl && !/^https?:\/\//.test(introspectionUrl)) throw new ConfigError('TOKENS_INTROSPECTION_URL must be an http(s) URL');
  return {
    port: int(env, 'GATEWAY_PORT', 4001, 0, 65535),
    supergraphPath: resolve(supergraphPath),
    gatewaySecret,
    identityPrivateKey: parseIdentityPrivateKey(env, nodeEnv === 'production' || nodeEnv === 'test' ? nodeEnv : 'development', resolve(env.DATA_DIR?.trim() || 'data'), true),
    mode,
    authCacheTtlMs: int(env, 'GATEWAY_AUTH_CACHE_TTL_MS', 5000, 0, 300_000),
    introspectionUrl,
    rateLimitPerToken: int(env, 'GATEWAY_RATE_LIMIT_PER_TOKEN', 600, 0, 1_000_000),
    rateLimitAnonymousPerIp: int(env, 'GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP', 60, 0, 1_000_000),
    exposeErrors: nodeEnv !== 'production',
  };
}
