import { ConfigError, parseGatewaySecret } from '../../src/config';

/**
 * The inventory example's environment, read and validated once:
 *
 *   INVENTORY_PORT      default 4002
 *   TOKENS_JWKS_URL     the tokens service's keys, e.g. http://tokengate:4000/.well-known/jwks.json
 *   GATEWAY_SECRET      or GATEWAY_SECRET_FILE: the gateway's credential (≥ 32 characters)
 */
export function loadInventoryConfig(env: Record<string, string | undefined>): { port: number; jwksUrl: string; gatewaySecret: string } {
  const raw = env.INVENTORY_PORT?.trim() || '4002';
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`INVENTORY_PORT must be a port number, got "${raw}"`);
  const jwksUrl = env.TOKENS_JWKS_URL?.trim() ?? '';
  if (!/^https?:\/\//.test(jwksUrl)) throw new ConfigError('TOKENS_JWKS_URL is required: the tokens service JWKS, e.g. http://tokengate:4000/.well-known/jwks.json');
  const gatewaySecret = parseGatewaySecret(env);
  if (!gatewaySecret) throw new ConfigError('GATEWAY_SECRET (or GATEWAY_SECRET_FILE) is required: the credential the gateway sends');
  return { port: Number(raw), jwksUrl, gatewaySecret };
}
