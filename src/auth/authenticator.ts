import { DataSource, In } from 'typeorm';
import { stringListTransformer } from '../db/columns';
import { AccountScope } from '../modules/scope/account-scope.entity';
import { grantedCatalogScopes } from '../modules/scope/scope.service';
import { clock } from '../common/clock';
import { minRole } from '../common/roles';
import { scopesFor } from '../authz/scopes';
import { unauthenticated } from '../errors';
import { ApiToken, TokenStatus } from '../modules/api-token/api-token.entity';
import { Session } from '../modules/session/session.entity';
import { User, UserStatus } from '../modules/user/user.entity';
import { Credential } from './credentials';
import { Principal } from './principal';
import { SessionTokens } from './session-tokens';
import { TokenCache, UserSnapshot, VerifiedToken } from './token-cache';
import type { RequestMeta } from '../common/request-meta';
import { constantTimeEqual, digestSecret, isWellFormedSecret, SECRET_LENGTH } from './token-format';
import { UsageRecorder } from './usage-recorder';
import type { Logger } from 'pino';
import { recordAuditStandalone } from '../modules/audit/audit';

/** Why a credential was refused (audit trail only; clients always get the same message). */
type Refusal = { reason: string; accountId?: string; userId?: string; tokenId?: string };
type Checked = { verified: VerifiedToken } | Refusal;
/** The one refusal for a value that is not a well-formed secret (compared by identity: such guesses are not counted). */
const MALFORMED_TOKEN: Refusal = Object.freeze({ reason: 'malformed_token' });
import { POLICIES, RateLimitedError, throttleKey, ThrottleService } from '../modules/throttle/throttle.service';

/** One message for every refused API token, so the response is no oracle for why. */
const INVALID_TOKEN = 'Invalid, expired or revoked API token';
const INVALID_SESSION = 'Invalid or expired session; log in again';

/**
 * Turns a parsed credential into a Principal, or throws UNAUTHENTICATED.
 * API tokens: format and checksum first (no I/O), then the cache, then one
 * indexed look-up joining the owner. Sessions: JWT signature and expiry, then
 * one look-up of the session joined with its user, so logout, refresh-token
 * reuse and deactivation take effect at once.
 */
export class Authenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionTokens,
    readonly cache: TokenCache,
    private readonly usage: UsageRecorder,
    private readonly throttle: ThrottleService,
    private readonly logger?: Logger,
  ) {}

  /**
   * Client IPs locked out for presenting too many invalid API tokens, as this
   * replica last learned from the shared counters: a locked address is refused
   * without a query, and valid tokens never pay for the bookkeeping.
   */
  private readonly lockedIps = new Map<string, number>();

  /**
   * The principal a verified token yields depends on the cached verification alone, so it is built
   * once per cache entry and shared (frozen) by every request that presents the token.
   */
  private readonly principals = new WeakMap<VerifiedToken, Principal>();

  /**
   * The principal for a credential, or null for none; refusals throw (or reject with) UNAUTHENTICATED.
   * An API token found in the verification cache is answered synchronously: that is nearly every
   * request, and it then costs no promise of its own.
   */
  authenticate(credential: Credential, ip: string | undefined, userAgent?: string): Principal | null | Promise<Principal | null> {
    switch (credential.kind) {
      case 'none':
        return null;
      case 'malformed':
        return this.refuseMalformed(credential.reason, { ip, userAgent });
      case 'session':
        return this.authenticateSession(credential.jwt, { ip, userAgent });
      case 'apiToken': {
        const now = clock.nowMs();
        const lockedUntil = ip ? (this.lockedIps.get(ip) ?? 0) : 0;
        if (lockedUntil > now) return Promise.reject(tooManyInvalidTokens(lockedUntil - now));
        if (ip && lockedUntil) this.lockedIps.delete(ip);
        const checked = this.checkApiToken(credential.secret, credential.username, now);
        if (checked instanceof Promise) return checked.then((c) => this.afterCheck(c, ip, userAgent, now));
        return this.afterCheck(checked, ip, userAgent, now);
      }
    }
  }

  private afterCheck(checked: Checked, ip: string | undefined, userAgent: string | undefined, now: number): Principal | Promise<never> {
    if (!('verified' in checked)) return this.refuseToken(checked, { ip, userAgent }, now);
    const { verified } = checked;
    this.usage.record(verified.tokenId, now, ip);
    let principal = this.principals.get(verified);
    if (!principal) {
      principal = principalOfToken(verified);
      this.principals.set(verified, principal);
    }
    return principal;
  }

  private async refuseMalformed(reason: string, meta: RequestMeta): Promise<never> {
    await this.auditFailure({ reason: 'malformed_credential' }, meta);
    throw unauthenticated(`Malformed Authorization header: ${reason}`);
  }

  private async refuseToken(refusal: Refusal, meta: RequestMeta, now: number): Promise<never> {
    await this.auditFailure(refusal, meta);
    const { ip } = meta;
    // Malformed values were refused without touching the database; only real guesses are counted.
    if (ip && refusal !== MALFORMED_TOKEN) {
      const until = await this.throttle.fail([{ key: throttleKey('token:ip', ip), policy: POLICIES.tokenPerIp }]);
      if (until > now) {
        if (this.lockedIps.size > 10_000) this.lockedIps.clear();
        this.lockedIps.set(ip, until);
        throw tooManyInvalidTokens(until - now);
      }
    }
    throw unauthenticated(INVALID_TOKEN);
  }

  /** Count a use of a token authenticated elsewhere (the gateway's auth cache); coalesced like every use. */
  recordUsage(tokenId: string, ip: string | undefined): void {
    this.usage.record(tokenId, clock.nowMs(), ip);
  }

  /** Verify a secret (and, for Basic, its username). Null when it must not authenticate. */
  async verifyApiToken(secret: string, username?: string): Promise<VerifiedToken | null> {
    const checked = await this.checkApiToken(secret, username, clock.nowMs());
    return 'verified' in checked ? checked.verified : null;
  }

  /**
   * The cache first (a cached digest came from a stored token, so its secret was well formed), then,
   * on a miss, the format and checksum (no I/O) before one indexed look-up.
   */
  private checkApiToken(secret: string, username: string | undefined, now: number): Checked | Promise<Checked> {
    if (secret.length !== SECRET_LENGTH) return MALFORMED_TOKEN;
    const digest = digestSecret(secret);
    const cached = this.cache.get(digest);
    if (cached) return verdictOf(cached, username, now);
    if (!isWellFormedSecret(secret)) return MALFORMED_TOKEN;
    return this.lookup(digest).then((found) => {
      if (!found) return { reason: 'unknown_token' };
      this.cache.set(digest, found);
      return verdictOf(found, username, clock.nowMs());
    });
  }

  /**
   * Every refused credential is an audit event (reason, IP and user agent from the request; the token id
   * when the secret matched one, never the secret). Events naming no account are kept with a null account.
   * A failure to write is logged and never changes the client's answer.
   */
  private async auditFailure(refusal: Refusal, meta: RequestMeta): Promise<void> {
    if (!refusal.accountId) {
      // Malformed or unknown credentials name no account: the contract refuses them without touching the
      // database (and a flood of them must not become a flood of writes), so they are logged, not stored.
      this.logger?.info({ reason: refusal.reason, action: 'auth.failed' }, 'authentication refused');
      return;
    }
    try {
      await recordAuditStandalone(this.dataSource, {
        accountId: refusal.accountId ?? null,
        action: 'auth.failed',
        actorId: refusal.userId ?? null,
        actorTokenId: refusal.tokenId ?? null,
        targetType: refusal.tokenId ? 'api_token' : undefined,
        targetId: refusal.tokenId ?? null,
        reason: refusal.reason,
        meta,
      });
    } catch (err) {
      this.logger?.warn({ err, reason: refusal.reason }, 'could not record a failed authentication');
    }
  }

  private async lookup(digest: string): Promise<VerifiedToken | null> {
    const row = await this.dataSource
      .getRepository(ApiToken)
      .createQueryBuilder('t')
      .innerJoin(User, 'u', 'u.id = t.ownerId')
      .select([
        't.id AS id',
        't.accountId AS accountId',
        't.ownerId AS ownerId',
        't.username AS username',
        't.role AS role',
        't.environment AS environment',
        't.storedStatus AS storedStatus',
        't.expiresAt AS expiresAt',
        't.secretHash AS secretHash',
        't.previousSecretHash AS previousSecretHash',
        't.previousSecretExpiresAt AS previousSecretExpiresAt',
        't.catalogScopes AS catalogScopes',
        'u.role AS ownerRole',
        'u.status AS ownerStatus',
        ...USER_COLUMNS,
      ])
      .where('t.secretHash = :digest OR t.previousSecretHash = :digest', { digest })
      .getRawOne<Record<string, unknown>>();
    if (!row) return null;
    const current = constantTimeEqual(String(row.secretHash), digest);
    if (!current && !constantTimeEqual(String(row.previousSecretHash ?? ''), digest)) return null;
    const carried = stringListTransformer.from(row.catalogScopes as string | null);
    const catalog = carried.length
      ? await this.dataSource.getRepository(AccountScope).find({
          select: { name: true, minRole: true },
          where: { accountId: String(row.accountId), name: In(carried) },
        })
      : [];
    return {
      tokenId: String(row.id),
      accountId: String(row.accountId),
      ownerId: String(row.ownerId),
      username: String(row.username),
      role: row.role as VerifiedToken['role'],
      environment: (row.environment as string | null) ?? null,
      storedStatus: row.storedStatus as VerifiedToken['storedStatus'],
      expiresAt: toDate(row.expiresAt),
      graceUntil: current ? null : (toDate(row.previousSecretExpiresAt) ?? new Date(0)),
      ownerRole: row.ownerRole as VerifiedToken['ownerRole'],
      catalogScopes: catalog.map((s) => ({ name: s.name, minRole: s.minRole })),
      ownerStatus: row.ownerStatus as UserStatus,
      owner: userSnapshot(row),
    };
  }

  private async authenticateSession(jwt: string, meta: RequestMeta): Promise<Principal> {
    const claims = await this.sessions.verifyAccessToken(jwt, clock.now());
    if (!claims) {
      await this.auditFailure({ reason: 'invalid_session_token' }, meta);
      throw unauthenticated(INVALID_SESSION);
    }
    const row = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .innerJoin(User, 'u', 'u.id = s.userId')
      .select(['s.revokedAt AS revokedAt', 'u.role AS role', 'u.status AS status', 'u.accountId AS accountId', ...USER_COLUMNS])
      .where('s.id = :sid AND s.userId = :uid', { sid: claims.sessionId, uid: claims.userId })
      .getRawOne<Record<string, unknown>>();
    if (!row || row.revokedAt || row.status !== UserStatus.ACTIVE || row.accountId !== claims.accountId) {
      const reason = !row || row.accountId !== claims.accountId ? 'unknown_session' : row.revokedAt ? 'session_ended' : 'user_deactivated';
      await this.auditFailure(row && row.accountId === claims.accountId ? { reason, accountId: claims.accountId, userId: claims.userId } : { reason }, meta);
      throw unauthenticated(INVALID_SESSION);
    }
    return {
      userId: claims.userId,
      accountId: claims.accountId,
      role: row.role as Principal['role'],
      via: 'session',
      sessionId: claims.sessionId,
      scopes: scopesFor(row.role as Principal['role']),
      expiresAt: claims.expiresAt,
      user: userSnapshot(row),
    };
  }
}

/** The user's public columns, selected with the credential so `me` needs no query of its own. */
const USER_COLUMNS = [
  'u.id AS u_id',
  'u.accountId AS u_accountId',
  'u.email AS u_email',
  'u.name AS u_name',
  'u.role AS u_role',
  'u.status AS u_status',
  'u.deactivatedAt AS u_deactivatedAt',
  'u.createdAt AS u_createdAt',
  'u.updatedAt AS u_updatedAt',
];

function userSnapshot(row: Record<string, unknown>): UserSnapshot {
  return {
    id: String(row.u_id),
    accountId: String(row.u_accountId),
    email: String(row.u_email),
    name: String(row.u_name),
    role: row.u_role as UserSnapshot['role'],
    status: row.u_status as UserSnapshot['status'],
    deactivatedAt: toDate(row.u_deactivatedAt),
    createdAt: toDate(row.u_createdAt) as Date,
    updatedAt: toDate(row.u_updatedAt) as Date,
  };
}

function tooManyInvalidTokens(ms: number): RateLimitedError {
  return new RateLimitedError('Too many invalid API tokens from this address; try again later', Math.ceil(ms / 1000));
}

/** Raw rows give Date on MySQL and 'YYYY-MM-DD HH:MM:SS.SSS' (UTC) text on SQLite. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text.replace(' ', 'T') + 'Z');
}


function verdictOf(verified: VerifiedToken, username: string | undefined, now: number): Checked {
  const reason = refusalOf(verified, username, now);
  if (!reason) return { verified };
  return { reason, accountId: verified.accountId, userId: verified.ownerId, tokenId: verified.tokenId };
}

/** Why a known token must not authenticate now, or null when it may. */
function refusalOf(verified: VerifiedToken, username: string | undefined, now: number): string | null {
  if (verified.storedStatus !== TokenStatus.ACTIVE) return `${verified.storedStatus.toLowerCase()}_token`;
  if (verified.expiresAt && verified.expiresAt.getTime() <= now) return 'expired_token';
  if (verified.graceUntil && verified.graceUntil.getTime() <= now) return 'replaced_secret';
  if (verified.ownerStatus !== UserStatus.ACTIVE) return 'owner_deactivated';
  if (username !== undefined && !constantTimeEqual(username, verified.username)) return 'username_mismatch';
  return null;
}

/** The request's principal for a verified token: the token's role capped by the owner's current role. */
function principalOfToken(verified: VerifiedToken): Principal {
  const role = minRole(verified.role, verified.ownerRole);
  const catalogScopes = grantedCatalogScopes(
    verified.catalogScopes.map((s) => s.name),
    new Map(verified.catalogScopes.map((s) => [s.name, s.minRole])),
    role,
  );
  return Object.freeze({
    userId: verified.ownerId,
    accountId: verified.accountId,
    role,
    via: 'apiToken',
    tokenId: verified.tokenId,
    tokenRole: verified.role,
    environment: verified.environment,
    scopes: Object.freeze(scopesFor(role, verified.environment, catalogScopes)) as string[],
    catalogScopes: Object.freeze(catalogScopes) as string[],
    tokenUsername: verified.username,
    expiresAt: verified.graceUntil ?? verified.expiresAt,
    user: verified.owner,
  });
}
