import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { DEFAULT_BCRYPT_QUEUE_LIMIT, defaultBcryptConcurrency } from './auth/passwords';
import { developmentIdentityKeyPem, generateIdentityKeyPem, parseIdentityKey } from './auth/identity-keys';

/**
 * Every environment variable the tokens service reads, parsed and validated once.
 * Anything invalid throws a ConfigError whose message says what to set; main.ts
 * prints it and exits without a stack trace.
 */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  /** Address to listen on (HOST); undefined = every interface, IPv6 and IPv4 (Node's default, what Docker needs). */
  host?: string;
  /** mysql://user:pass@host:port/db, or undefined for the embedded SQLite database. */
  databaseUrl?: string;
  /** Where the embedded SQLite file and the generated development signing key live. */
  dataDir: string;
  /** SQLite file path (embedded mode only); ':memory:' is allowed for throwaway use. */
  sqlitePath: string;
  /** Apply pending TypeORM migrations (MySQL) at start. */
  runMigrations: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  sandbox: boolean;
  introspection: boolean;
  /** Serve the token console (the built single-page app) at /console/. */
  console: boolean;
  sessionSigningKey: string;
  bcryptRounds: number;
  /** bcrypt operations running at once; default: CPU cores − 1 (at least 1), so one core stays free for the event loop. */
  bcryptConcurrency: number;
  /** bcrypt operations allowed to wait for a slot; beyond it sign-ins get SERVICE_UNAVAILABLE at once. */
  bcryptQueueLimit: number;
  /** REDIS_URL, REDIS_KEY_PREFIX, REDIS_TIMEOUT_MS: fleet mode (shared invalidations and limits); null = one process. */
  redis: RedisSettings | null;
  /** How long a verified API token may be served from the in-process cache (bounds revocation on other replicas). */
  tokenCacheTtlMs: number;
  tokenCacheMaxEntries: number;
  /** How often coalesced usage (lastUsedAt, useCount, lastUsedIps) is written. */
  usageFlushIntervalMs: number;
  /** Express "trust proxy" setting, used to derive the client IP. */
  trustProxy: boolean | number | string;
  /** revokeLeakedApiToken: requests per minute per client IP. */
  leakReportsPerMinute: number;
  /**
   * GATEWAY_RATE_LIMIT_PER_TOKEN, as the gateway reads it: the requests per minute of a token without its own
   * limit. Here it bounds what users below ADMIN may set on their tokens (only lower). 0 = unlimited.
   */
  gatewayRateLimitPerToken: number;
  /** Browser origins allowed by CORS; ['*'] = any. */
  corsOrigins: string[];
  /** Query limits (graphql-armor), shared with the gateway (src/gateway/config.ts). */
  queryLimits: QueryLimits;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** How long to wait for a new MySQL connection before failing the request with SERVICE_UNAVAILABLE. */
  dbConnectTimeoutMs: number;
  /** Expiry notices, e-mails, deliveries and pruning every this many ms in-process; 0 = off (use `npm run notify`). */
  notifyIntervalMs: number;
  /** Webhook delivery loop; 0 = deliveries only on scheduler passes. */
  webhookDeliveryIntervalMs: number;
  /** Allow webhooks to loopback and private addresses (never link-local or metadata). */
  webhookAllowPrivate: boolean;
  webhookTimeoutMs: number;
  webhookMaxAttempts: number;
  /** First retry delay; doubles per failed attempt. */
  webhookRetryBaseMs: number;
  /** smtp:// or smtps:// URL for expiry e-mails; unset = notices are logged instead. */
  smtpUrl?: string;
  smtpFrom: string;
  /** Daily usage history kept this many days. */
  usageRetentionDays: number;
  /** PKCS8 PEM of the gateway identity key (ES256); its public half is served at /.well-known/jwks.json. */
  identityPrivateKey: string;
  /** The shared secret the gateway sends to subgraphs; undefined = no gateway traffic is accepted. */
  gatewaySecret?: string;
  /** Refuse /graphql requests that lack the gateway credential. */
  requireGateway: boolean;
  /** This subgraph's name in the supergraph: the audience of the gateway identity JWT. */
  subgraphName: string;
  /** Token exchange (POST /oauth/token) and its discovery metadata; null = off (production without PUBLIC_URL). */
  exchange: ExchangeConfig | null;
  /** The router coprocessor endpoints (/coprocessor/apollo, /coprocessor/hive); null = off (no COPROCESSOR_SECRET). */
  coprocessor: CoprocessorConfig | null;
  /** /metrics (METRICS_PORT, METRICS_TOKEN): off unless one of them is set. */
  metrics: MetricsConfig;
  /** OpenTelemetry traces (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME); null = off. */
  tracing: TracingConfig | null;
}

/** RFC 8693 token exchange: opaque credential in, short-lived ES256 JWT out (src/http/token-exchange.ts). */
export interface ExchangeConfig {
  /** PUBLIC_URL: the service's external base URL; the JWTs' `iss` and the base of the metadata's URLs. */
  issuer: string;
  /** Longest lifetime of an exchanged JWT (EXCHANGE_TOKEN_TTL_S): the revocation budget of routers that verify them. */
  tokenTtlSeconds: number;
  /** The `audience` values a caller may ask for (EXCHANGE_AUDIENCES); the first is the default. */
  audiences: string[];
  /** Exchanges per minute per API token (per session for session tokens); 0 = unlimited. */
  perTokenPerMinute: number;
}

/** The Apollo Router and Hive Router coprocessor endpoints (src/http/coprocessor.ts). */
export interface CoprocessorConfig {
  /** COPROCESSOR_SECRET: what the router must present (header or `secret` query parameter). */
  secret: string;
  /**
   * COPROCESSOR_CLIENT_IP_HEADER: the forwarded request header that names the client (rightmost entry), e.g.
   * x-forwarded-for when a proxy in front of the router appends it; unset = the router's own address.
   */
  clientIpHeader?: string;
}

/** Per-operation limits: the tokens service and the gateway read the same QUERY_MAX_* variables. */
export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A true/false variable (1/0, yes/no, on/off too); shared with the gateway's configuration. */
export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** LOG_LEVEL, for the tokens service and the gateway alike. */
export function parseLogLevel(env: Env, fallback: Config['logLevel']): Config['logLevel'] {
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || fallback) as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return logLevel;
}

export function parseEnvName(raw: string | undefined): Config['env'] {
  const v = (raw ?? 'development').trim().toLowerCase();
  if (v === '' || v === 'development' || v === 'dev') return 'development';
  if (v === 'production' || v === 'prod') return 'production';
  if (v === 'test') return 'test';
  throw new ConfigError(`NODE_ENV must be development, production or test, got "${raw}"`);
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid URL; expected mysql://user:password@host:3306/database');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(`DATABASE_URL must start with mysql:// (MySQL 8 or MariaDB 10.11+), got "${url.protocol}//"`);
  }
  if (url.pathname.replace(/^\//, '') === '') throw new ConfigError('DATABASE_URL must name a database, e.g. mysql://user:password@host:3306/tokengate');
  return raw.trim();
}

/**
 * CORS_ORIGINS for the tokens service and the gateway: comma-separated origins, or * for any.
 * Default: any origin in development (the embedded Apollo Sandbox calls from its own origin),
 * none in production.
 */
export function parseCorsOrigins(raw: string | undefined, production: boolean): string[] {
  if (raw === undefined || raw.trim() === '') return production ? [] : ['*'];
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    if (o === '*') continue;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(`CORS_ORIGINS: "${o}" is not an origin like https://app.example.com`);
    }
    if (url.origin !== o) throw new ConfigError(`CORS_ORIGINS: "${o}" must be a bare origin (scheme://host[:port]), e.g. ${url.origin}`);
  }
  return origins;
}

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123). */
const HOST_NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * HOST (tokens service) and GATEWAY_HOST (gateway): the address to listen on. Unset or empty: every
 * interface, as before (Docker publishes ports from the container's own interface). An IPv4 or IPv6
 * address (without brackets), or a host name such as `localhost`, which is resolved once at start.
 */
export function parseHost(raw: string | undefined, name: string): string | undefined {
  const v = raw?.trim() ?? '';
  if (v === '') return undefined;
  const bare = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  if (isIP(bare)) return bare;
  if (HOST_NAME_RE.test(v) && !/^[\d.]+$/.test(v)) return v;
  throw new ConfigError(`${name} must be an IP address (e.g. 127.0.0.1, ::1, 0.0.0.0) or a host name (e.g. localhost), got "${raw}"`);
}

/** TRUST_PROXY, as express reads it: false, true, a hop count, or addresses/subnets. Shared with the gateway. */
export function parseTrustProxy(raw: string | undefined): Config['trustProxy'] {
  if (raw === undefined || raw.trim() === '') return false;
  const v = raw.trim();
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (/^\d+$/.test(v)) return Number(v);
  return v; // comma separated addresses / subnets, as express accepts
}

/** Development convenience: a signing key generated once and kept in the data directory. */
function developmentSigningKey(dataDir: string): string {
  const file = join(dataDir, 'session-signing-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 32) return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(48).toString('base64url');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** 0 (off) or a period of at least `min` ms. */
function interval(env: Env, name: string, fallback: number, min: number): number {
  const value = int(env, name, fallback, 0, 86_400_000);
  if (value !== 0 && value < min) throw new ConfigError(`${name} must be 0 (off) or at least ${min}, got ${value}`);
  return value;
}

function parseSmtpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('SMTP_URL is not a valid URL; expected smtp://user:password@host:587 or smtps://…:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`SMTP_URL must start with smtp:// or smtps://, got "${url.protocol}//"`);
  return raw.trim();
}

function parseSmtpFrom(raw: string | undefined): string {
  const v = raw?.trim() || 'Tokengate <no-reply@localhost>';
  if (v.length > 200 || !/@/.test(v) || /[\r\n]/.test(v)) throw new ConfigError(`SMTP_FROM must be an address like "Tokengate <tokens@example.com>", got "${raw}"`);
  return v;
}

/**
 * QUERY_MAX_* and BODY_LIMIT_BYTES. The tokens service and the gateway both
 * read them, so one setting tunes both layers.
 */
export function parseRequestLimits(env: Env): { queryLimits: QueryLimits; bodyLimitBytes: number } {
  return {
    queryLimits: {
      maxDepth: int(env, 'QUERY_MAX_DEPTH', 10, 2, 100),
      maxCost: int(env, 'QUERY_MAX_COST', 25_000, 10, 10_000_000),
      maxAliases: int(env, 'QUERY_MAX_ALIASES', 15, 0, 1000),
      maxDirectives: int(env, 'QUERY_MAX_DIRECTIVES', 50, 0, 1000),
      maxTokens: int(env, 'QUERY_MAX_TOKENS', 2000, 100, 100_000),
    },
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
  };
}

/**
 * A secret from NAME, or when NAME is unset from the file NAME_FILE names
 * (Docker and Kubernetes secrets, or a key generated into a shared volume), so
 * a PEM need not travel through an environment variable.
 */
function secretFromEnv(env: Env, name: string): string {
  const direct = env[name]?.trim() ?? '';
  if (direct !== '') return direct;
  const file = env[`${name}_FILE`]?.trim() ?? '';
  if (file === '') return '';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${name}_FILE names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${file}`);
  }
}

/**
 * SESSION_SIGNING_KEY, or when it is unset the file SESSION_SIGNING_KEY_FILE
 * names (the compose stack generates one into its secrets volume); at least 32
 * characters. Required in production; in development one is generated once
 * under DATA_DIR.
 */
export function parseSessionSigningKey(env: Env, production: boolean, dataDir: string): string {
  const key = secretFromEnv(env, 'SESSION_SIGNING_KEY');
  if (key === '') {
    if (production) {
      throw new ConfigError('SESSION_SIGNING_KEY (or SESSION_SIGNING_KEY_FILE) is required in production: a random string of at least 32 characters, e.g. `openssl rand -base64 48`');
    }
    return developmentSigningKey(dataDir);
  }
  if (key.length < 32) throw new ConfigError(`SESSION_SIGNING_KEY must be at least 32 characters long (got ${key.length})`);
  return key;
}

/** GATEWAY_SECRET (or GATEWAY_SECRET_FILE): shared by the gateway and its subgraphs; at least 32 characters. */
export function parseGatewaySecret(env: Env): string | undefined {
  const secret = secretFromEnv(env, 'GATEWAY_SECRET');
  if (secret === '') return undefined;
  if (secret.length < 32) throw new ConfigError(`GATEWAY_SECRET must be at least 32 characters long (got ${secret.length}), e.g. \`openssl rand -base64 48\``);
  return secret;
}

/**
 * IDENTITY_PRIVATE_KEY or IDENTITY_PRIVATE_KEY_FILE (PKCS8 PEM, EC P-256; "\n" escapes allowed). Development:
 * generated once under DATA_DIR; tests: a fresh key per process; production:
 * required whenever a gateway is configured (GATEWAY_SECRET), since the gateway
 * and every replica of this service must share it.
 */
export function parseIdentityPrivateKey(env: Env, nodeEnv: Config['env'], dataDir: string, gatewayConfigured: boolean): string {
  let pem = secretFromEnv(env, 'IDENTITY_PRIVATE_KEY');
  if (pem === '') {
    if (nodeEnv === 'production' && gatewayConfigured) {
      throw new ConfigError(
        'IDENTITY_PRIVATE_KEY (or IDENTITY_PRIVATE_KEY_FILE) is required in production when GATEWAY_SECRET is set: `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` (PKCS8 PEM)',
      );
    }
    pem = nodeEnv === 'development' ? developmentIdentityKeyPem(dataDir) : generateIdentityKeyPem();
  }
  try {
    parseIdentityKey(pem);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return pem;
}

/**
 * PUBLIC_URL, EXCHANGE_*: the token exchange. On by default outside production (issuer
 * http://localhost:<PORT>); in production only with PUBLIC_URL, since the issuer must be the address
 * routers and clients see (behind a proxy it is not this process's).
 */
export function parseExchangeConfig(env: Env, nodeEnv: Config['env'], port: number, subgraphName: string): ExchangeConfig | null {
  const raw = env.PUBLIC_URL?.trim() ?? '';
  let issuer: string;
  if (raw === '') {
    if (nodeEnv === 'production') return null;
    issuer = `http://localhost:${port}`;
  } else {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`PUBLIC_URL is not a valid URL; expected the service's external address, e.g. https://tokens.example.com`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`PUBLIC_URL must start with https:// (or http://), got "${url.protocol}//"`);
    if (url.search || url.hash || url.username || url.password) throw new ConfigError('PUBLIC_URL must have no query, fragment or credentials (RFC 8414: it becomes the issuer identifier)');
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (nodeEnv === 'production' && url.protocol !== 'https:' && !loopback) throw new ConfigError('PUBLIC_URL must be https:// in production (it is the issuer routers trust)');
    issuer = url.href.replace(/\/+$/, '');
  }
  const audiences = (env.EXCHANGE_AUDIENCES?.trim() || 'supergraph')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const a of audiences) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._:\/-]{0,199}$/.test(a)) throw new ConfigError(`EXCHANGE_AUDIENCES: "${a}" is not an audience name (letters, digits, . _ : / -; up to 200 characters)`);
    // The identity JWTs the gateway sends subgraphs are signed with the same key, audience = subgraph name.
    if (a === subgraphName) throw new ConfigError(`EXCHANGE_AUDIENCES must not contain "${a}", this service's subgraph name: name the router, e.g. "supergraph"`);
  }
  if (audiences.length === 0) throw new ConfigError('EXCHANGE_AUDIENCES must name at least one audience, e.g. "supergraph"');
  return {
    issuer,
    tokenTtlSeconds: int(env, 'EXCHANGE_TOKEN_TTL_S', 60, 5, 900),
    audiences: [...new Set(audiences)],
    perTokenPerMinute: int(env, 'EXCHANGE_RATE_LIMIT_PER_MINUTE', 60, 0, 100_000),
  };
}

/** COPROCESSOR_SECRET (or COPROCESSOR_SECRET_FILE), COPROCESSOR_CLIENT_IP_HEADER. No secret: the endpoints are off. */
export function parseCoprocessorConfig(env: Env): CoprocessorConfig | null {
  const secret = secretFromEnv(env, 'COPROCESSOR_SECRET');
  const header = env.COPROCESSOR_CLIENT_IP_HEADER?.trim().toLowerCase() || undefined;
  if (secret === '') {
    if (header) throw new ConfigError('COPROCESSOR_CLIENT_IP_HEADER needs COPROCESSOR_SECRET (the coprocessor endpoints are off without it)');
    return null;
  }
  if (secret.length < 32) throw new ConfigError(`COPROCESSOR_SECRET must be at least 32 characters long (got ${secret.length}), e.g. \`openssl rand -hex 32\``);
  if (!/^[\x21-\x7E]+$/.test(secret)) throw new ConfigError('COPROCESSOR_SECRET must be printable ASCII without spaces (it travels in a URL query or a header)');
  if (header !== undefined && !/^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(header))
    throw new ConfigError(`COPROCESSOR_CLIENT_IP_HEADER must be a header name like x-forwarded-for, got "${header}"`);
  return { secret, clientIpHeader: header };
}

/**
 * Where Prometheus scrapes /metrics, shared by the tokens service and the gateway. Never public by accident:
 * with METRICS_PORT it is served only on that port (at HOST / GATEWAY_HOST, like the main port), and with
 * METRICS_TOKEN only to callers sending `Authorization: Bearer <METRICS_TOKEN>`; with neither, it is off.
 */
export interface MetricsConfig {
  /** METRICS_PORT: a separate listener for /metrics (0 = any free port); undefined = the main port, with the token. */
  port?: number;
  /** METRICS_TOKEN (or METRICS_TOKEN_FILE): the bearer token a scraper must send, on whichever port serves /metrics. */
  token?: string;
}

/** METRICS_PORT and METRICS_TOKEN (or METRICS_TOKEN_FILE). */
export function parseMetricsConfig(env: Env): MetricsConfig {
  const rawPort = env.METRICS_PORT?.trim();
  const port = rawPort ? int(env, 'METRICS_PORT', 0, 0, 65535) : undefined;
  const token = secretFromEnv(env, 'METRICS_TOKEN');
  if (token !== '') {
    if (token.length < 32) throw new ConfigError(`METRICS_TOKEN must be at least 32 characters long (got ${token.length}), e.g. \`openssl rand -hex 32\``);
    if (!/^[\x21-\x7E]+$/.test(token)) throw new ConfigError('METRICS_TOKEN must be printable ASCII without spaces (it travels in an Authorization header)');
  }
  return { ...(port !== undefined ? { port } : {}), ...(token !== '' ? { token } : {}) };
}

/** OpenTelemetry traces, exported over OTLP/HTTP. */
export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to <endpoint>/v1/traces. */
  endpoint: string;
  /** OTEL_SERVICE_NAME, or the service's default (tokengate-tokens, tokengate-gateway). */
  serviceName: string;
}

/** OTEL_EXPORTER_OTLP_ENDPOINT (http or https URL) and OTEL_SERVICE_NAME; no endpoint = tracing off. */
export function parseTracingConfig(env: Env, defaultServiceName: string): TracingConfig | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || defaultServiceName;
  if (!endpoint) return null;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError("OTEL_EXPORTER_OTLP_ENDPOINT is not a valid URL; expected the collector's OTLP/HTTP base URL, e.g. http://otel-collector:4318");
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL (OTLP over HTTP), got ${url.protocol}//`);
  if (!/^[\x20-\x7E]{1,128}$/.test(serviceName)) throw new ConfigError('OTEL_SERVICE_NAME must be 1-128 printable ASCII characters');
  return { endpoint, serviceName };
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = parseEnvName(env.NODE_ENV);
  const production = nodeEnv === 'production';
  const dataDir = resolve(env.DATA_DIR?.trim() || 'data');
  const databaseUrl = parseDatabaseUrl(env.DATABASE_URL);

  const logLevel = parseLogLevel(env, nodeEnv === 'test' ? 'silent' : 'info');

  const sessionSigningKey = parseSessionSigningKey(env, production, dataDir);

  const gatewaySecret = parseGatewaySecret(env);
  const requireGateway = bool(env, 'TOKENS_REQUIRE_GATEWAY', false);
  if (requireGateway && !gatewaySecret) throw new ConfigError('TOKENS_REQUIRE_GATEWAY=true needs GATEWAY_SECRET (the credential the gateway sends)');
  const identityPrivateKey = parseIdentityPrivateKey(env, nodeEnv, dataDir, Boolean(gatewaySecret));
  const subgraphName = env.TOKENS_SUBGRAPH_NAME?.trim() || 'tokens';
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(subgraphName)) throw new ConfigError(`TOKENS_SUBGRAPH_NAME must be a subgraph name like "tokens", got "${subgraphName}"`);

  const port = int(env, 'PORT', 4000, 0, 65535);
  const exchange = parseExchangeConfig(env, nodeEnv, port, subgraphName);
  if (exchange && production && secretFromEnv(env, 'IDENTITY_PRIVATE_KEY') === '') {
    throw new ConfigError(
      'IDENTITY_PRIVATE_KEY (or IDENTITY_PRIVATE_KEY_FILE) is required in production when PUBLIC_URL is set: exchanged JWTs are signed with it, and every replica must publish the same key',
    );
  }

  const sandbox = bool(env, 'SANDBOX', !production);
  return {
    env: nodeEnv,
    port,
    host: parseHost(env.HOST, 'HOST'),
    databaseUrl,
    dataDir,
    sqlitePath: env.SQLITE_PATH?.trim() || join(dataDir, 'tokengate.sqlite'),
    runMigrations: bool(env, 'DB_MIGRATIONS_RUN', true),
    logLevel,
    sandbox,
    introspection: bool(env, 'INTROSPECTION', sandbox),
    console: bool(env, 'CONSOLE', true),
    sessionSigningKey,
    bcryptRounds: int(env, 'BCRYPT_ROUNDS', 12, 10, 15),
    bcryptConcurrency: int(env, 'BCRYPT_CONCURRENCY', defaultBcryptConcurrency(), 1, 256),
    bcryptQueueLimit: int(env, 'BCRYPT_QUEUE_LIMIT', DEFAULT_BCRYPT_QUEUE_LIMIT, 0, 100_000),
    tokenCacheTtlMs: int(env, 'TOKEN_CACHE_TTL_MS', 5000, 0, 300_000),
    tokenCacheMaxEntries: int(env, 'TOKEN_CACHE_MAX_ENTRIES', 10_000, 0, 1_000_000),
    usageFlushIntervalMs: int(env, 'USAGE_FLUSH_INTERVAL_MS', 5000, 100, 600_000),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    leakReportsPerMinute: int(env, 'LEAK_REPORTS_PER_MINUTE', 30, 1, 100_000),
    gatewayRateLimitPerToken: int(env, 'GATEWAY_RATE_LIMIT_PER_TOKEN', 600, 0, 1_000_000),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS, production),
    ...parseRequestLimits(env),
    dbConnectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 120_000),
    notifyIntervalMs: interval(env, 'NOTIFY_INTERVAL_MS', 5 * 60_000, 1000),
    webhookDeliveryIntervalMs: interval(env, 'WEBHOOK_DELIVERY_INTERVAL_MS', 10_000, 100),
    webhookAllowPrivate: bool(env, 'WEBHOOK_ALLOW_PRIVATE', !production),
    webhookTimeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    webhookMaxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 20),
    webhookRetryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 100, 3_600_000),
    smtpUrl: parseSmtpUrl(env.SMTP_URL),
    smtpFrom: parseSmtpFrom(env.SMTP_FROM),
    usageRetentionDays: int(env, 'USAGE_RETENTION_DAYS', 90, 1, 3650),
    identityPrivateKey,
    gatewaySecret,
    requireGateway,
    subgraphName,
    exchange,
    coprocessor: parseCoprocessorConfig(env),
    metrics: parseMetricsConfig(env),
    tracing: parseTracingConfig(env, 'tokengate-tokens'),
    redis: parseRedisSettings(env),
  };
}

/** Fleet mode: the Redis every tokens replica and gateway shares (src/fleet). */
export interface RedisSettings {
  url: string;
  /** Prepended to every key and channel, so fleets (or environments) can share one Redis. */
  keyPrefix: string;
  /** The longest any Redis call may take before the request path goes on without it. */
  timeoutMs: number;
}

/** REDIS_URL (redis:// or rediss://), REDIS_KEY_PREFIX (default tokengate:), REDIS_TIMEOUT_MS (default 100). Unset URL: null. */
export function parseRedisSettings(env: Env): RedisSettings | null {
  const url = env.REDIS_URL?.trim();
  const keyPrefix = env.REDIS_KEY_PREFIX?.trim() || 'tokengate:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(keyPrefix)) throw new ConfigError('REDIS_KEY_PREFIX must be 1-64 letters, digits or : _ . -');
  const timeoutMs = int(env, 'REDIS_TIMEOUT_MS', 100, 5, 10_000);
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL must be a URL like redis://host:6379 or rediss://user:password@host:6380/0');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, got ${parsed.protocol}//`);
  return { url, keyPrefix, timeoutMs };
}
