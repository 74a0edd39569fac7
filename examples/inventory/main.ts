import { ConfigError, parseGatewaySecret } from '../../src/config';
import { startInventory } from './inventory';

/**
 * The inventory example as a process of its own (the compose stack's
 * `inventory` service): `node dist/examples/inventory/main.js`.
 *
 *   INVENTORY_PORT      default 4002
 *   TOKENS_JWKS_URL     the tokens service's keys, e.g. http://tokengate:4000/.well-known/jwks.json
 *   GATEWAY_SECRET      or GATEWAY_SECRET_FILE: the gateway's credential (≥ 32 characters)
 */
function loadInventoryEnv(env: Record<string, string | undefined>) {
  const raw = env.INVENTORY_PORT?.trim() || '4002';
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`INVENTORY_PORT must be a port number, got "${raw}"`);
  const jwksUrl = env.TOKENS_JWKS_URL?.trim() ?? '';
  if (!/^https?:\/\//.test(jwksUrl)) throw new ConfigError('TOKENS_JWKS_URL is required: the tokens service JWKS, e.g. http://tokengate:4000/.well-known/jwks.json');
  const gatewaySecret = parseGatewaySecret(env);
  if (!gatewaySecret) throw new ConfigError('GATEWAY_SECRET (or GATEWAY_SECRET_FILE) is required: the credential the gateway sends');
  return { port: Number(raw), jwksUrl, gatewaySecret };
}

async function main() {
  const { port, jwksUrl, gatewaySecret } = loadInventoryEnv(process.env);
  const inventory = await startInventory({ jwksUrl, gatewaySecret }, port);
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'inventory subgraph listening', port, jwksUrl })}\n`);
  const stop = async () => {
    await inventory.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `Configuration error: ${err.message}\n` : `${err?.stack ?? err}\n`);
  process.exit(1);
});
