import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseIdentityKey } from '../auth/identity-keys';
import { clock } from '../common/clock';
import { ConfigError, loadConfig } from '../config';
import { buildCore } from '../core';
import { createLogger } from '../logger';
import { InvalidationBus } from '../auth/invalidation-bus';
import { startFleet } from '../fleet';
import { recordUsageOnHit, cachedVerifier, CredentialVerifier, forgetOnInvalidation, inProcessVerifier, introspectionVerifier } from './auth';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';
import { watchDatabase } from '../common/metrics';
import { describeMetrics } from '../http/metrics-endpoint';

/** npm run gateway: serve the supergraph at SUPERGRAPH_PATH on GATEWAY_PORT. */
async function main() {
  const config = loadGatewayConfig();
  const logger = createLogger(config.logLevel);
  // Fleet mode (REDIS_URL): every tokens replica's invalidations reach this gateway's caches, and the
  // rate limits are shared by all gateways; without it, this instance alone.
  const invalidations = new InvalidationBus();
  const fleet = startFleet(config.redis, invalidations, logger);
  let verifier: CredentialVerifier;
  let close = async () => undefined as void;
  let onHit: ((u: import('./auth').GatewayUser, ip: string | undefined) => void) | undefined;
  if (config.introspectionUrl) {
    verifier = introspectionVerifier(config.introspectionUrl, config.gatewaySecret);
  } else {
    // Co-located: the same core as the tokens service (database, SESSION_SIGNING_KEY, authenticator), without
    // migrations or the scheduler. The token cache is off here so that GATEWAY_AUTH_CACHE_TTL_MS alone bounds revocation.
    const core = await buildCore(loadConfig(), { logger, runMigrations: false, tokenCache: 'off', invalidations });
    core.usage.start();
    const unwatchDatabase = watchDatabase(() => core.dataSource.query('SELECT 1'));
    verifier = inProcessVerifier(core.authenticator);
    onHit = recordUsageOnHit(core.authenticator);
    close = () => {
      unwatchDatabase();
      return core.close();
    };
  }
  const cached = cachedVerifier(verifier, config.authCacheTtlMs, clock.nowMs, 10_000, onHit);
  forgetOnInvalidation(invalidations, cached);
  const gateway = await startGateway(
    {
      supergraphSdl: readFileSync(config.supergraphPath, 'utf8'),
      verifier: cached,
      rateLimiter: fleet.rateLimiter,
      identityKeys: parseIdentityKey(config.identityPrivateKey),
      gatewaySecret: config.gatewaySecret,
      mode: config.mode,
      rateLimitPerToken: config.rateLimitPerToken,
      rateLimitAnonymousPerIp: config.rateLimitAnonymousPerIp,
      limits: config.limits,
      corsOrigins: config.corsOrigins,
      trustProxy: config.trustProxy,
      production: config.production,
      introspection: config.introspection,
      exposeErrors: config.exposeErrors,
      metrics: config.metrics,
      tracing: config.tracing,
      log: (level, msg, data) => logger[level]({ data }, msg),
    },
    config.port,
    config.host,
  );
  logger.info({ url: gateway.url, mode: config.mode, auth: config.introspectionUrl ? 'introspection' : 'in-process', metrics: describeMetrics(gateway.metrics) }, 'gateway listening');
  const shutdown = async () => {
    await gateway.stop();
    await close();
    await fleet.close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `Configuration error: ${err.message}\n` : `${err?.stack ?? err}\n`);
  process.exit(1);
});
