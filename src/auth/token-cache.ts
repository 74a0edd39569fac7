import { Role } from '../common/roles';
import { recordCacheLookup } from '../common/metrics';

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

/** What this replica just changed: every cached verdict it touches is gone, and listeners are told. */
export type CacheInvalidation = { tokenId: string } | { userId: string } | { sessionId: string } | { accountId: string } | { all: true };

interface Entry {
  value: VerifiedToken;
  storedAt: number;
}

/**
 * In-process cache of verified tokens, keyed by secret digest (the direct
 * path: a client presents the secret) and by secret fingerprint (the gateway
 * path: a signed identity names the token and the secret it was verified
 * with). Both keys reach the same entries. Writes on this instance (revoke,
 * disable, regenerate, delete, deactivate, role change, catalog change) invalidate it
 * synchronously, before the mutation returns, and tell the listeners (an
 * in-process gateway's auth cache); other replicas see a change after at most
 * `ttlMs` (TOKEN_CACHE_TTL_MS). Bounded: the oldest entries go first when full.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** fingerprint → digest, exactly for the entries present. */
  private readonly byFingerprint = new Map<string, string>();
  private readonly listeners = new Set<(change: CacheInvalidation) => void>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly nowMs: () => number,
  ) {}

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

  set(digest: string, value: VerifiedToken): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
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
    for (const [digest, entry] of this.entries) if (entry.value.tokenId === tokenId) this.remove(digest, entry);
    this.notify({ tokenId });
  }

  /** The user's tokens (and, for listeners, sessions): after deactivation or a role change. */
  invalidateUser(userId: string): void {
    for (const [digest, entry] of this.entries) if (entry.value.ownerId === userId) this.remove(digest, entry);
    this.notify({ userId });
  }

  /** After a catalog change: the account's tokens are read again on their next use. */
  invalidateAccount(accountId: string): void {
    for (const [digest, entry] of this.entries) if (entry.value.accountId === accountId) this.remove(digest, entry);
    this.notify({ accountId });
  }

  /** A session ended (logout, refresh-token reuse): nothing of it is cached here, but listeners are told. */
  sessionEnded(sessionId: string): void {
    this.notify({ sessionId });
  }

  clear(): void {
    this.entries.clear();
    this.byFingerprint.clear();
    this.notify({ all: true });
  }

  /** Be told of every invalidation this replica makes (an in-process gateway forgets its cached verdicts). Returns the unsubscribe. */
  onInvalidate(listener: (change: CacheInvalidation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(digest: string, entry: Entry): void {
    this.entries.delete(digest);
    if (this.byFingerprint.get(entry.value.fingerprint) === digest) this.byFingerprint.delete(entry.value.fingerprint);
  }

  private notify(change: CacheInvalidation): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not undo or fail the change that was just committed.
      }
    }
  }
}
