import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdentityKey } from '../auth/identity-keys';
import { loadConfig, parseHost } from '../config';
import { recordUsageOnHit, cachedVerifier, followInvalidations, inProcessVerifier } from '../gateway/auth';
import { composeSupergraph } from '../gateway/compose';
import { gatewayLimits } from '../gateway/config';
import { startGateway } from '../gateway/gateway';
import { createServer } from '../server';
import { INVENTORY_SDL, startInventory } from '../../examples/inventory/inventory';

/**
 * npm run dev:supergraph: the tokens service (PORT, default 4000), the
 * inventory example (INVENTORY_PORT, default 4002) and the gateway
 * (GATEWAY_PORT, default 4001) in one process, the gateway authenticating
 * in-process. The supergraph is composed at start from the committed SDLs with
 * the real ports. A development GATEWAY_SECRET is made up when unset.
 */
async function main() {
  process.env.GATEWAY_SECRET ||= 'dev-only-gateway-secret-change-me-0123456789';
  const config = loadConfig();
  const tokens = await createServer(config);
  const tokensUrl = await tokens.listen(config.port);
  const inventory = await startInventory(
    { jwksUrl: tokensUrl.replace(/\/graphql$/, '/.well-known/jwks.json'), gatewaySecret: config.gatewaySecret! },
    Number(process.env.INVENTORY_PORT || 4002),
  );
  const supergraphSdl = composeSupergraph([
    { name: 'tokens', url: tokensUrl, typeDefs: readFileSync(join(process.cwd(), 'schema/subgraph.graphql'), 'utf8') },
    { name: 'inventory', url: inventory.url, typeDefs: INVENTORY_SDL },
  ]);
  // The gateway shares the tokens service's Authenticator: a change made there is forgotten by the gateway at once.
  const verifier = cachedVerifier(inProcessVerifier(tokens.authenticator), Number(process.env.GATEWAY_AUTH_CACHE_TTL_MS ?? 5000), Date.now, 10_000, recordUsageOnHit(tokens.authenticator));
  followInvalidations(tokens.authenticator.cache, verifier);
  const gateway = await startGateway(
    {
      supergraphSdl,
      verifier,
      identityKeys: parseIdentityKey(config.identityPrivateKey),
      gatewaySecret: config.gatewaySecret!,
      mode: process.env.GATEWAY_AUTH_MODE === 'reject' ? 'reject' : 'filter',
      rateLimitPerToken: 600,
      rateLimitAnonymousPerIp: 60,
      limits: gatewayLimits(config, config.env === 'production'),
      corsOrigins: config.corsOrigins,
      trustProxy: config.trustProxy,
      production: config.env === 'production',
      // The tokens service's INTROSPECTION (default: on with Sandbox, outside production) for the supergraph too.
      introspection: config.introspection,
      exposeErrors: true,
      log: (level, msg, data) => tokens.logger[level]({ data }, msg),
    },
    Number(process.env.GATEWAY_PORT || 4001),
    parseHost(process.env.GATEWAY_HOST, 'GATEWAY_HOST'),
  );
  process.stdout.write(`tokens    ${tokensUrl}\ninventory ${inventory.url} (gateway credential required)\ngateway   ${gateway.url}\n`);
  const stop = async () => {
    await gateway.stop();
    await inventory.stop();
    await tokens.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
