import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { clock } from '../common/clock';
import { MaybePromise, then } from '../common/maybe-promise';
import type { RequestMeta } from '../common/request-meta';
import { unauthenticated } from '../errors';
import { POLICIES, RateLimitedError, throttleKey, ThrottleService } from '../modules/throttle/throttle.service';
import type { GatewayIdentity } from '../subgraph-kit';
import { Credential } from '../auth/credentials';
import { KnownSecrets } from '../auth/known-secrets';
import { Principal } from '../auth/principal';
import { SessionTokens } from '../auth/session-tokens';
import { TokenCache, VerifiedToken } from '../auth/token-cache';
import { digestSecret, isWellFormedSecret, SECRET_LENGTH } from '../auth/token-format';
import { findUsableDigests } from '../modules/api-token/api-token.lookup';
import {
  addressRefusalOf,
  auditRefusal,
  checkSession,
  INVALID_SESSION,
  INVALID_TOKEN,
  loadTokenByDigest,
  loadTokenByFingerprint,
  buildTokenPrincipal,
  Refusal,
  refusalOf,
  tokenRefusal,
} from './credential-state';
import { UsageRecorder } from './usage-recorder';

/** A secret this replica does not know, from an address locked for guessing: refused without a look-up. */
type Locked = { lockedUntil: number };
type Checked = { verified: VerifiedToken } | Refusal | Locked;
/** A gateway identity's request: check the token's allowlist against `ip` when the gateway forwarded the client's address. */
type IdentityMeta = RequestMeta & { checkAddress: boolean };
/** The one refusal for a value that is not a well-formed secret (compared by identity: such guesses are not counted). */
const MALFORMED_TOKEN: Refusal = Object.freeze({ reason: 'malformed_token' });

/**
 * Turns a parsed credential into a Principal, or throws UNAUTHENTICATED.
 * API tokens: format and checksum first (no I/O), then the cache, then one
 * indexed look-up joining the owner. Sessions: JWT signature and expiry, then
 * one look-up of the session joined with its user, so logout, refresh-token
 * reuse and deactivation take effect at once. A gateway identity names a
 * token (and the secret the gateway verified) or a session; it is checked the
 * same way, through the same cache: the identity says who, this decides what
 * they may do now (src/verification/credential-state.ts).
 */
export class Authenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: SessionTokens,
    readonly cache: TokenCache,
    private readonly usage: UsageRecorder,
    private readonly throttle: ThrottleService,
    private readonly logger?: Logger,
  ) {
    this.knownSecrets = new KnownSecrets((limit) => findUsableDigests(this.dataSource.manager, clock.now(), limit), clock.nowMs);
    // Another replica (or gateway) learned that an address is locked: the fast path refuses it here too.
    cache.bus.subscribe((change, origin) => {
      if (origin === 'remote' && 'lockedAddress' in change) this.rememberLock(change.lockedAddress, change.until);
    });
  }

  private rememberLock(ip: string, until: number): void {
    if (until <= clock.nowMs()) return;
    if (this.lockedIps.size > 10_000) this.lockedIps.clear();
    this.lockedIps.set(ip, Math.max(until, this.lockedIps.get(ip) ?? 0));
  }

  /**
   * Client IPs locked out for presenting too many invalid API tokens, as this
   * replica last learned from the shared counters, or from another replica
   * through the invalidation bus (the fleet shares the fast path; the database
   * counters stay the source of truth for locks). The lock stops look-ups of
   * secrets this replica does not know (refused without a query), not valid
   * tokens: a cached token answers before the lock is consulted, and an uncached
   * one is looked up when its digest is known (KnownSecrets). Valid tokens never
   * pay for the bookkeeping.
   */
  private readonly lockedIps = new Map<string, number>();

  /** Digests of usable tokens, consulted only for addresses locked for guessing. Services add the secrets they issue. */
  readonly knownSecrets: KnownSecrets;

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
  authenticate(credential: Credential, ip: string | undefined, userAgent?: string): MaybePromise<Principal | null> {
    switch (credential.kind) {
      case 'none':
        return null;
      case 'malformed':
        return this.refuseMalformed(credential.reason, { ip, userAgent });
      case 'session':
        return this.authenticateSession(credential.jwt, { ip, userAgent });
      case 'apiToken': {
        const now = clock.nowMs();
        return then(this.checkApiToken(credential.secret, credential.username, now, ip), (c) => this.afterCheck(c, ip, userAgent, now));
      }
    }
  }

  private afterCheck(checked: Checked, ip: string | undefined, userAgent: string | undefined, now: number): MaybePromise<Principal> {
    // Neither audited nor counted: it was refused without a look-up, as before the lock ends.
    if ('lockedUntil' in checked) return Promise.reject(tooManyInvalidTokens(checked.lockedUntil - now));
    if (!('verified' in checked)) return this.refuseToken(checked, { ip, userAgent }, now);
    const { verified } = checked;
    this.usage.record(verified.tokenId, now, ip);
    return this.cachedTokenPrincipal(verified);
  }

  /** One frozen principal per cached verification, shared by every request that presents that token. */
  private cachedTokenPrincipal(verified: VerifiedToken): Principal {
    let principal = this.principals.get(verified);
    if (!principal) {
      principal = buildTokenPrincipal(verified);
      this.principals.set(verified, principal);
    }
    return principal;
  }

  /**
   * The principal for a verified gateway identity. The identity says who is calling and with which
   * credential (a token and the fingerprint of the secret the gateway verified, or a session); what
   * they may do is decided here, now, as for a direct request: the token still usable and its owner
   * active (through the same cache, so a change this replica makes counts at once), the effective role
   * min(token role, owner's current role) and the scopes of that role; for a session, the session
   * live and its user active with their current role. The identity's own role and scopes are ignored.
   * When the gateway forwarded the client's address (`clientAddressForwarded`), a token's IP allowlist
   * is checked against it here too, so a narrowed allowlist counts at once whatever the gateway cached.
   * Refusals are audited like direct ones and answer the same message; they are not counted against
   * the client address (the gateway limits clients itself). No token usage is recorded here: the
   * gateway's authentication already counted the request.
   */
  authenticateIdentity(identity: GatewayIdentity, ip: string | undefined, userAgent?: string, clientAddressForwarded = false): MaybePromise<Principal> {
    const meta = { ip, userAgent, checkAddress: clientAddressForwarded };
    if (identity.via === 'session') {
      if (!identity.sessionId) return this.refuseIdentity({ reason: 'incomplete_identity' }, INVALID_SESSION, meta);
      return checkSession(this.dataSource.manager, { sessionId: identity.sessionId, userId: identity.userId, accountId: identity.accountId }).then((checked) =>
        'principal' in checked ? checked.principal : this.refuseIdentity(checked, INVALID_SESSION, meta),
      );
    }
    const { tokenId, secretFingerprint } = identity;
    if (!tokenId || !secretFingerprint) return this.refuseIdentity({ reason: 'incomplete_identity' }, INVALID_TOKEN, meta);
    const cached = this.cache.getByFingerprint(secretFingerprint);
    if (cached) return this.identityVerdict(cached, identity, meta, clock.nowMs());
    const epoch = this.cache.epoch;
    return loadTokenByFingerprint(this.dataSource.manager, tokenId, identity.accountId, secretFingerprint).then((found) => {
      if (!found) return this.refuseIdentity({ reason: 'unknown_token' }, INVALID_TOKEN, meta);
      if (found.digest) this.cache.set(found.digest, found.verified, epoch);
      return this.identityVerdict(found.verified, identity, meta, clock.nowMs());
    });
  }

  private identityVerdict(verified: VerifiedToken, identity: GatewayIdentity, meta: IdentityMeta, now: number): MaybePromise<Principal> {
    if (verified.tokenId !== identity.tokenId || verified.accountId !== identity.accountId || verified.ownerId !== identity.userId) {
      return this.refuseIdentity({ reason: 'unknown_token' }, INVALID_TOKEN, meta);
    }
    const reason = refusalOf(verified, undefined, now) ?? (meta.checkAddress ? addressRefusalOf(verified, meta.ip) : null);
    if (reason) return this.refuseIdentity(tokenRefusal(verified, reason), INVALID_TOKEN, meta);
    return this.cachedTokenPrincipal(verified);
  }

  private async refuseIdentity(refusal: Refusal, message: string, meta: RequestMeta): Promise<never> {
    await this.auditFailure({ ...refusal, reason: `gateway:${refusal.reason}` }, meta);
    throw unauthenticated(message);
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
        this.rememberLock(ip, until);
        this.cache.bus.publish({ lockedAddress: ip, until });
        throw tooManyInvalidTokens(until - now);
      }
    }
    throw unauthenticated(INVALID_TOKEN);
  }

  /** Count a use of a token authenticated elsewhere (the gateway's auth cache); coalesced like every use. */
  recordUsage(tokenId: string, ip: string | undefined): void {
    this.usage.record(tokenId, clock.nowMs(), ip);
  }

  /** Verify a secret (and, for Basic, its username) for a request from `ip`. Null when it must not authenticate. */
  async verifyApiToken(secret: string, username?: string, ip?: string): Promise<VerifiedToken | null> {
    const checked = await this.checkApiToken(secret, username, clock.nowMs(), ip);
    return 'verified' in checked ? checked.verified : null;
  }

  /**
   * The cache first (a cached digest came from a stored token, so its secret was well formed, and it
   * answers even from a locked address), then, on a miss, the format and checksum (no I/O); then, from an
   * address locked for guessing, only a digest this replica knows to be a usable token's goes on; then
   * one indexed look-up.
   */
  private checkApiToken(secret: string, username: string | undefined, now: number, ip?: string): MaybePromise<Checked> {
    if (secret.length !== SECRET_LENGTH) return MALFORMED_TOKEN;
    const digest = digestSecret(secret);
    const cached = this.cache.get(digest);
    if (cached) return verdictOf(cached, username, now, ip);
    if (!isWellFormedSecret(secret)) return MALFORMED_TOKEN;
    const lockedUntil = ip === undefined ? undefined : this.lockedIps.get(ip);
    if (lockedUntil !== undefined) {
      if (lockedUntil > now) {
        return this.knownSecrets.knows(digest).then((known) => (known ? this.lookUpAndCheck(digest, username, ip) : { lockedUntil }));
      }
      this.lockedIps.delete(ip!);
    }
    return this.lookUpAndCheck(digest, username, ip);
  }

  private lookUpAndCheck(digest: string, username: string | undefined, ip: string | undefined): Promise<Checked> {
    const epoch = this.cache.epoch;
    return loadTokenByDigest(this.dataSource.manager, digest).then((found) => {
      if (!found) return { reason: 'unknown_token' };
      // Not cached when an invalidation arrived during the read (it may predate the change).
      this.cache.set(digest, found, epoch);
      const checked = verdictOf(found, username, clock.nowMs(), ip);
      if ('verified' in checked) this.knownSecrets.add(digest);
      return checked;
    });
  }

  private auditFailure(refusal: Refusal, meta: RequestMeta): Promise<void> {
    return auditRefusal(this.dataSource, refusal, meta, this.logger);
  }

  private async authenticateSession(jwt: string, meta: RequestMeta): Promise<Principal> {
    const claims = await this.sessions.verifyAccessToken(jwt, clock.now());
    if (!claims) {
      await this.auditFailure({ reason: 'invalid_session_token' }, meta);
      throw unauthenticated(INVALID_SESSION);
    }
    const checked = await checkSession(this.dataSource.manager, claims);
    if (!('principal' in checked)) {
      await this.auditFailure(checked, meta);
      throw unauthenticated(INVALID_SESSION);
    }
    return { ...checked.principal, expiresAt: claims.expiresAt };
  }
}

function tooManyInvalidTokens(ms: number): RateLimitedError {
  return new RateLimitedError('Too many invalid API tokens from this address; try again later', Math.ceil(ms / 1000));
}

/** A known token's verdict for a direct request from `ip`: its state first, then its IP allowlist. */
function verdictOf(verified: VerifiedToken, username: string | undefined, now: number, ip: string | undefined): Checked {
  const reason = refusalOf(verified, username, now) ?? addressRefusalOf(verified, ip);
  return reason ? tokenRefusal(verified, reason) : { verified };
}
