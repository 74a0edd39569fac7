import { Role } from '../common/roles';
import { User, UserStatus } from '../modules/user/user.entity';
import { StoredTokenStatus } from '../modules/api-token/api-token.entity';

/** A user's public columns, read together with a credential. */
export type UserSnapshot = Pick<User, 'id' | 'accountId' | 'email' | 'name' | 'role' | 'status' | 'deactivatedAt' | 'createdAt' | 'updatedAt'>;

/** What verification needs of a token and its owner. */
export interface VerifiedToken {
  tokenId: string;
  accountId: string;
  ownerId: string;
  username: string;
  role: Role;
  environment: string | null;
  storedStatus: StoredTokenStatus;
  expiresAt: Date | null;
  /** Set when the digest matched the previous secret of a regenerated token: valid until then. */
  graceUntil: Date | null;
  ownerRole: Role;
  /** The token's catalog scopes that were still in the catalog when read, with their minRole. */
  catalogScopes: ReadonlyArray<{ name: string; minRole: Role }>;
  ownerStatus: UserStatus;
  /** The owner's public columns as read with the token (no password hash): answers `me` without a query. */
  owner: UserSnapshot;
}

interface Entry {
  value: VerifiedToken;
  storedAt: number;
}

/**
 * In-process cache of verified tokens, keyed by secret digest. Writes on this
 * instance (revoke, regenerate, delete, deactivate, role change) invalidate it
 * synchronously, before the mutation returns; other replicas see a change
 * after at most `ttlMs` (TOKEN_CACHE_TTL_MS). Bounded: the oldest entries go
 * first when full.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly nowMs: () => number,
  ) {}

  get(digest: string): VerifiedToken | undefined {
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (this.nowMs() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry.value;
  }

  set(digest: string, value: VerifiedToken): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(digest, { value, storedAt: this.nowMs() });
  }

  invalidateToken(tokenId: string): void {
    for (const [digest, entry] of this.entries) if (entry.value.tokenId === tokenId) this.entries.delete(digest);
  }

  invalidateUser(userId: string): void {
    for (const [digest, entry] of this.entries) if (entry.value.ownerId === userId) this.entries.delete(digest);
  }

  /** After a catalog change: the account's tokens are read again on their next use. */
  invalidateAccount(accountId: string): void {
    for (const [digest, entry] of this.entries) if (entry.value.accountId === accountId) this.entries.delete(digest);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
