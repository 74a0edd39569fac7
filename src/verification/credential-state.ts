import { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { scopesFor } from '../authz/scopes';
import { ipAllowed } from '../common/cidr';
import { minRole } from '../common/roles';
import type { RequestMeta } from '../common/request-meta';
import type { Principal } from '../auth/principal';
import type { UserSnapshot, VerifiedToken } from '../auth/token-cache';
import { constantTimeEqual, secretFingerprint } from '../auth/token-format';
import { findTokenByDigest, findTokenById, TokenWithOwner } from '../modules/api-token/api-token.lookup';
import { TokenStatus } from '../modules/api-token/api-token.entity';
import { recordAuditStandalone } from '../modules/audit/audit';
import { findCatalogScopes } from '../modules/scope/scope.lookup';
import { grantedCatalogScopes } from '../modules/scope/scope.service';
import { findSessionWithUser } from '../modules/session/session.lookup';
import { UserStatus } from '../modules/user/user.entity';
import type { PublicUser } from '../modules/user/user.lookup';

/*
 * What a credential is worth now, read from the database: the one place that
 * decides whether a token or session may act and with which role. The direct
 * path (a secret or a session JWT), the gateway path (a signed identity naming
 * a token and secret, or a session) and the re-check inside a change's own
 * transaction (src/verification/authority.ts) all decide here, alike.
 */

/** One message for every refused API token, so the response is no oracle for why. */
export const INVALID_TOKEN = 'Invalid, expired or revoked API token';
export const INVALID_SESSION = 'Invalid or expired session; log in again';

/** Why a credential was refused (audit trail only; clients always get the same message). */
export type Refusal = { reason: string; accountId?: string; userId?: string; tokenId?: string };

/** The token one of whose secrets has this digest (one indexed look-up joining the owner); null when none. */
export async function loadTokenByDigest(em: EntityManager, digest: string): Promise<VerifiedToken | null> {
  const token = await findTokenByDigest(em, digest);
  if (!token) return null;
  const current = constantTimeEqual(token.secretHash, digest);
  if (!current && !constantTimeEqual(token.previousSecretHash ?? '', digest)) return null;
  return verifiedOf(em, token, current ? null : (token.previousSecretExpiresAt ?? new Date(0)), secretFingerprint(digest));
}

/**
 * The token a gateway identity (or a request's principal) names: its id, its
 * account and the fingerprint of the secret that was verified. `digest` is the
 * key to cache the entry under; when the fingerprint names neither of the
 * token's secrets (regenerated since), the entry is one whose grace is over
 * (refused as `replaced_secret`) and `digest` is null: it must not be cached.
 */
export async function loadTokenByFingerprint(em: EntityManager, tokenId: string, accountId: string, fingerprint: string): Promise<{ verified: VerifiedToken; digest: string | null } | null> {
  const token = await findTokenById(em, tokenId, accountId);
  if (!token) return null;
  const current = token.secretHash;
  if (constantTimeEqual(secretFingerprint(current), fingerprint)) {
    return { verified: await verifiedOf(em, token, null, fingerprint), digest: current };
  }
  const previous = token.previousSecretHash;
  if (previous && constantTimeEqual(secretFingerprint(previous), fingerprint)) {
    return { verified: await verifiedOf(em, token, token.previousSecretExpiresAt ?? new Date(0), fingerprint), digest: previous };
  }
  return { verified: await verifiedOf(em, token, new Date(0), fingerprint), digest: null };
}

async function verifiedOf(em: EntityManager, token: TokenWithOwner, graceUntil: Date | null, fingerprint: string): Promise<VerifiedToken> {
  const catalog = await findCatalogScopes(em, token.accountId, token.catalogScopes ?? []);
  return {
    tokenId: token.id,
    accountId: token.accountId,
    ownerId: token.ownerId,
    username: token.username,
    role: token.role,
    environment: token.environment ?? null,
    storedStatus: token.storedStatus,
    expiresAt: token.expiresAt ?? null,
    graceUntil,
    fingerprint,
    ownerRole: token.owner.role,
    catalogScopes: catalog.map((s) => ({ name: s.name, minRole: s.minRole })),
    ownerStatus: token.owner.status,
    allowedCidrs: Object.freeze([...(token.allowedCidrs ?? [])]),
    rateLimitPerMinute: token.rateLimitPerMinute ?? null,
    owner: userSnapshot(token.owner),
  };
}

/** Why a known token must not authenticate now, or null when it may. */
export function refusalOf(verified: VerifiedToken, username: string | undefined, now: number): string | null {
  if (verified.storedStatus !== TokenStatus.ACTIVE) return `${verified.storedStatus.toLowerCase()}_token`;
  if (verified.expiresAt && verified.expiresAt.getTime() <= now) return 'expired_token';
  if (verified.graceUntil && verified.graceUntil.getTime() <= now) return 'replaced_secret';
  if (verified.ownerStatus !== UserStatus.ACTIVE) return 'owner_deactivated';
  if (username !== undefined && !constantTimeEqual(username, verified.username)) return 'username_mismatch';
  return null;
}

/**
 * Whether a direct request from `ip` (the client's address, as TRUST_PROXY resolves it) may use the token:
 * its IP allowlist, checked after every other reason (a revoked token is refused as revoked wherever it comes
 * from). Not for gateway identities: the gateway checked the client's address when it authenticated.
 */
export function addressRefusalOf(verified: VerifiedToken, ip: string | undefined): string | null {
  return ipAllowed(verified.allowedCidrs, ip) ? null : 'ip_not_allowed';
}

/** The refusal of a known token, naming its account, owner and id for the audit trail. */
export const tokenRefusal = (verified: VerifiedToken, reason: string): Refusal => ({
  reason,
  accountId: verified.accountId,
  userId: verified.ownerId,
  tokenId: verified.tokenId,
});

/**
 * The request's principal for a verified token: the token's role capped by the
 * owner's current role, and the scopes of that effective role (catalog scopes
 * included only where it reaches their minRole).
 */
export function buildTokenPrincipal(verified: VerifiedToken): Principal {
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
    secretFingerprint: verified.fingerprint,
    environment: verified.environment,
    scopes: Object.freeze(scopesFor(role, verified.environment, catalogScopes)) as string[],
    catalogScopes: Object.freeze(catalogScopes) as string[],
    tokenUsername: verified.username,
    allowedCidrs: verified.allowedCidrs,
    rateLimitPerMinute: verified.rateLimitPerMinute,
    expiresAt: verified.graceUntil ?? verified.expiresAt,
    user: verified.owner,
  });
}

/**
 * A session as it stands: not ended, its user active and of the same account.
 * The principal carries the user's current role.
 */
export async function checkSession(em: EntityManager, claims: { sessionId: string; userId: string; accountId: string }): Promise<{ principal: Principal } | Refusal> {
  const found = await findSessionWithUser(em, claims.sessionId, claims.userId);
  if (!found || found.revokedAt || found.user.status !== UserStatus.ACTIVE || found.user.accountId !== claims.accountId) {
    const known = found !== null && found.user.accountId === claims.accountId;
    const reason = !known ? 'unknown_session' : found.revokedAt ? 'session_ended' : 'user_deactivated';
    return known ? { reason, accountId: claims.accountId, userId: claims.userId } : { reason };
  }
  const role = found.user.role;
  return {
    principal: {
      userId: claims.userId,
      accountId: claims.accountId,
      role,
      via: 'session',
      sessionId: claims.sessionId,
      scopes: scopesFor(role),
      user: userSnapshot(found.user),
    },
  };
}

/**
 * Every refused credential is an audit event (reason, IP and user agent from the request; the token id
 * when the credential named one, never the secret). Malformed or unknown credentials name no account:
 * the contract refuses them without touching the database (and a flood of them must not become a flood
 * of writes), so they are logged, not stored. A failure to write is logged and never changes the answer.
 */
export async function auditRefusal(dataSource: DataSource, refusal: Refusal, meta: RequestMeta, logger?: Logger): Promise<void> {
  if (!refusal.accountId) {
    logger?.info({ reason: refusal.reason, action: 'auth.failed' }, 'authentication refused');
    return;
  }
  try {
    await recordAuditStandalone(dataSource, {
      accountId: refusal.accountId,
      action: 'auth.failed',
      actorId: refusal.userId ?? null,
      actorTokenId: refusal.tokenId ?? null,
      targetType: refusal.tokenId ? 'api_token' : undefined,
      targetId: refusal.tokenId ?? null,
      reason: refusal.reason,
      meta,
    });
  } catch (err) {
    logger?.warn({ err, reason: refusal.reason }, 'could not record a failed authentication');
  }
}

/** The user's public properties as the kernel's snapshot (a fresh object: never the entity itself). */
function userSnapshot(u: PublicUser): UserSnapshot {
  return {
    id: u.id,
    accountId: u.accountId,
    email: u.email,
    kind: u.kind,
    name: u.name,
    role: u.role,
    status: u.status,
    deactivatedAt: u.deactivatedAt ?? null,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  };
}
