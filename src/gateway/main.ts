import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Authenticator } from '../verification/authenticator';
import { parseIdentityKey } from '../auth/identity-keys';
import { SessionTokens } from '../auth/session-tokens';
import { ThrottleService } from '../modules/throttle/throttle.service';
import { TokenCache } from '../auth/token-cache';
import { UsageRecorder } from '../verification/usage-recorder';
import { clock } from '../common/clock';
import { ConfigError, loadConfig } from '../config';
import { createDataSource, initializeDatabase } from '../db/data-source';
import { createLogger } from '../logger';
import { recordUsageOnHit, cachedVerifier, CredentialVerifier, inProcessVerifier, introspectionVerifier } from './auth';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';
import { watchDatabase } from '../common/metrics';
import { describeMetrics } from '../http/metrics-endpoint';

/** npm run gateway: serve the supergraph at SUPERGRAPH_PATH on GATEWAY_PORT. */
async function main() {
  const config = loadGatewayConfig();
  const logger = createLogger(config.logLevel);
  let verifier: CredentialVerifier;
  let close = async () => undefined as void;
  let onHit: ((u: import('./auth').GatewayUser, ip: string | undefined) => void) | undefined;
  if (config.introspectionUrl) {
    verifier = introspectionVerifier(config.introspectionUrl, config.gatewaySecret);
  } else {
    // Co-located: same database and SESSION_SIGNING_KEY as the tokens service. The token cache is off
    // here so that GATEWAY_AUTH_CACHE_TTL_MS alone bounds revocation.
    const tokens = loadConfig();
    const { dataSource } = createDataSource(tokens, logger);
    await initializeDatabase(dataSource, false, logger);
    watchDatabase(() => dataSource.query('SELECT 1'));
    const usage = new UsageRecorder(dataSource, logger.child({ component: 'usage' }), tokens.usageFlushIntervalMs);
    usage.start();
    const authenticator = new Authenticator(
      dataSource,
      new SessionTokens(tokens.sessionSigningKey),
      new TokenCache(0, 0, clock.nowMs),
      usage,
      new ThrottleService(dataSource),
      logger.child({ component: 'auth' }),
    );
    verifier = inProcessVerifier(authenticator);
    onHit = recordUsageOnHit(authenticator);
    close = async () => {
      await usage.stop();
      await dataSource.destroy();
    };
  }
  const gateway = await startGateway(
    {
      supergraphSdl: readFileSync(config.supergraphPath, 'utf8'),
      verifier: cachedVerifier(verifier, config.authCacheTtlMs, Date.now, 10_000, onHit),
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
  logger.info(
    { url: gateway.url, mode: config.mode, auth: config.introspectionUrl ? 'introspection' : 'in-process', metrics: describeMetrics(gateway.metrics) },
    'gateway listening',
  );
  const shutdown = async () => {
    await gateway.stop();
    await close();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `Configuration error: ${err.message}\n` : `${err?.stack ?? err}\n`);
  process.exit(1);
});
