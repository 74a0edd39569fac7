import { Role } from '../common/roles';
import { recordCacheLookup } from '../common/metrics';
import { CacheInvalidation, InvalidationBus } from './invalidation-bus';

export type { CacheInvalidation } from './invalidation-bus';

/*
 * The kernel's own words for what verification caches: no entity is imported
 * here (src/auth sits below src/modules). The user and token modules' enums
 * carry the same string values, so their rows fit these types as they are.
 */

/** A user's status as verification needs it (the user module's UserStatus values). */
export type SnapshotUserStatus = 'ACTIVE' | 'DEACTIVATED';

/** A token's stored status (the api-token module's TokenStatus values that are stored; EXPIRED is derived). */
export type SnapshotTokenStatus = 'ACTIVE' | 'DISABLED' | 'REVOKED' | 'DELETED';

/** A user's public columns, read together with a credential (never the password hash). */
export interface UserSnapshot {
  id: string;
  accountId: string;
  /** Null for a service account without an e-mail address. */
  email: string | null;
  /** 'PERSON' or 'SERVICE' (the user module's UserKind values). */
  kind: 'PERSON' | 'SERVICE';
  name: string;
  role: Role;
  status: SnapshotUserStatus;
  deactivatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What verification needs of a token and its owner, for one of its secrets. */
export interface VerifiedToken {
  tokenId: string;
  accountId: string;
  ownerId: string;
  username: string;
  role: Role;
  environment: string | null;
  storedStatus: SnapshotTokenStatus;
  expiresAt: Date | null;
  /** Set when the digest matched the previous secret of a regenerated token: valid until then. */
  graceUntil: Date | null;
  /**
   * secretFingerprint() of the digest this entry was verified for: how a gateway identity names
   * the secret the gateway verified, without carrying the secret or its stored digest.
   */
  fingerprint: string;
  ownerRole: Role;
  /** The token's catalog scopes that were still in the catalog when read, with their minRole. */
  catalogScopes: ReadonlyArray<{ name: string; minRole: Role }>;
  ownerStatus: SnapshotUserStatus;
  /** The token's IP allowlist (canonical CIDR ranges); empty = any address. */
  allowedCidrs: readonly string[];
  /** Requests per minute at the gateway; null = the gateway's default. */
  rateLimitPerMinute: number | null;
  /** The owner's public columns as read with the token (no password hash): answers `me` without a query. */
  owner: UserSnapshot;
}

interface Entry {
  value: VerifiedToken;
  storedAt: number;
}

/**
 * In-process cache of verified tokens, keyed by secret digest (the direct
 * path: a client presents the secret) and by secret fingerprint (the gateway
 * path: a signed identity names the token and the secret it was verified
 * with). Both keys reach the same entries. Writes on this instance (revoke,
 * regenerate, delete, deactivate, role change, catalog change) invalidate it
 * synchronously, before the mutation returns, by publishing on the
 * invalidation bus: this cache and the bus's other subscribers (an in-process
 * gateway's auth cache) drop what the change touches at once, and with
 * REDIS_URL every other replica and gateway does too (src/fleet). Without it,
 * or while Redis is unreachable, other replicas see a change after at most
 * `ttlMs` (TOKEN_CACHE_TTL_MS). Bounded: the oldest entries go first when full.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** fingerprint → digest, exactly for the entries present. */
  private readonly byFingerprint = new Map<string, string>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly nowMs: () => number,
    /** The bus every invalidation goes through (a private one by default: this process only). */
    readonly bus: InvalidationBus = new InvalidationBus(),
  ) {
    bus.subscribe((change) => this.drop(change));
  }

  get(digest: string): VerifiedToken | undefined {
    const entry = this.entries.get(digest);
    let found: VerifiedToken | undefined;
    if (entry) {
      if (this.nowMs() - entry.storedAt >= this.ttlMs) this.remove(digest, entry);
      else found = entry.value;
    }
    // A disabled cache (TTL 0: an in-process gateway's own Authenticator) is not a cache worth counting.
    if (this.ttlMs > 0 && this.maxEntries > 0) recordCacheLookup('token', found !== undefined);
    return found;
  }

  /** The entry verified for the secret with this fingerprint (a gateway identity's `sfp`). */
  getByFingerprint(fingerprint: string): VerifiedToken | undefined {
    const digest = this.byFingerprint.get(fingerprint);
    return digest === undefined ? undefined : this.get(digest);
  }

  /**
   * Changes whenever an invalidation arrives. A reader takes it before reading the database and
   * passes it to set(): a value read while an invalidation arrived may predate the change, and is
   * not cached (it would otherwise outlive the invalidation that was meant to remove it).
   */
  get epoch(): number {
    return this.generation;
  }

  set(digest: string, value: VerifiedToken, readAtEpoch?: number): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    if (readAtEpoch !== undefined && readAtEpoch !== this.generation) return;
    const existing = this.entries.get(digest);
    if (existing) this.remove(digest, existing);
    else if (this.entries.size >= this.maxEntries) {
      const [oldest, entry] = this.entries.entries().next().value ?? [];
      if (oldest !== undefined && entry) this.remove(oldest, entry);
    }
    this.entries.set(digest, { value, storedAt: this.nowMs() });
    this.byFingerprint.set(value.fingerprint, digest);
  }

  invalidateToken(tokenId: string): void {
    this.bus.publish({ tokenId });
  }

  /** The user's tokens (and, for listeners, sessions): after deactivation or a role change. */
  invalidateUser(userId: string): void {
    this.bus.publish({ userId });
  }

  /** After a catalog or policy change: the account's tokens are read again on their next use. */
  invalidateAccount(accountId: string): void {
    this.bus.publish({ accountId });
  }

  /** A session ended (logout, refresh-token reuse, revocation): nothing of it is cached here, but listeners are told. */
  sessionEnded(sessionId: string): void {
    this.bus.publish({ sessionId });
  }

  clear(): void {
    this.bus.publish({ all: true });
  }

  /** Be told of every invalidation, this replica's and (with a fleet transport) the others'. Returns the unsubscribe. */
  onInvalidate(listener: (change: CacheInvalidation) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** Drop what a change touches (from this process or another). */
  private drop(change: CacheInvalidation): void {
    if ('lockedAddress' in change) return;
    this.generation++;
    if ('all' in change) {
      this.entries.clear();
      this.byFingerprint.clear();
      return;
    }
    const match =
      'tokenId' in change
        ? (v: VerifiedToken) => v.tokenId === change.tokenId
        : 'userId' in change
          ? (v: VerifiedToken) => v.ownerId === change.userId
          : 'accountId' in change
            ? (v: VerifiedToken) => v.accountId === change.accountId
            : null;
    if (!match) return;
    for (const [digest, entry] of this.entries) if (match(entry.value)) this.remove(digest, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(digest: string, entry: Entry): void {
    this.entries.delete(digest);
    if (this.byFingerprint.get(entry.value.fingerprint) === digest) this.byFingerprint.delete(entry.value.fingerprint);
  }
}
