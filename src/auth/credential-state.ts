import { DataSource, EntityManager, In } from 'typeorm';
import type { Logger } from 'pino';
import { stringListTransformer } from '../db/columns';
import { scopesFor } from '../authz/scopes';
import { minRole } from '../common/roles';
import type { RequestMeta } from '../common/request-meta';
import { ApiToken, TokenStatus } from '../modules/api-token/api-token.entity';
import { recordAuditStandalone } from '../modules/audit/audit';
import { AccountScope } from '../modules/scope/account-scope.entity';
import { grantedCatalogScopes } from '../modules/scope/scope.service';
import { Session } from '../modules/session/session.entity';
import { User, UserStatus } from '../modules/user/user.entity';
import type { Principal } from './principal';
import type { UserSnapshot, VerifiedToken } from './token-cache';
import { constantTimeEqual, secretFingerprint } from './token-format';

/*
 * What a credential is worth now, read from the database: the one place that
 * decides whether a token or session may act and with which role. The direct
 * path (a secret or a session JWT), the gateway path (a signed identity naming
 * a token and secret, or a session) and the re-check inside a change's own
 * transaction (src/auth/authority.ts) all decide here, alike.
 */

/** One message for every refused API token, so the response is no oracle for why. */
export const INVALID_TOKEN = 'Invalid, expired or revoked API token';
export const INVALID_SESSION = 'Invalid or expired session; log in again';

/** Why a credential was refused (audit trail only; clients always get the same message). */
export type Refusal = { reason: string; accountId?: string; userId?: string; tokenId?: string };

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

const TOKEN_COLUMNS = [
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
];

const tokenWithOwner = (em: EntityManager) =>
  em.getRepository(ApiToken).createQueryBuilder('t').innerJoin(User, 'u', 'u.id = t.ownerId').select(TOKEN_COLUMNS);

/** The token one of whose secrets has this digest (one indexed look-up joining the owner); null when none. */
export async function loadTokenByDigest(em: EntityManager, digest: string): Promise<VerifiedToken | null> {
  const row = await tokenWithOwner(em)
    .where('t.secretHash = :digest OR t.previousSecretHash = :digest', { digest })
    .getRawOne<Record<string, unknown>>();
  if (!row) return null;
  const current = constantTimeEqual(String(row.secretHash), digest);
  if (!current && !constantTimeEqual(String(row.previousSecretHash ?? ''), digest)) return null;
  return verifiedFromRow(em, row, current ? null : (toDate(row.previousSecretExpiresAt) ?? new Date(0)), secretFingerprint(digest));
}

/**
 * The token a gateway identity (or a request's principal) names: its id, its
 * account and the fingerprint of the secret that was verified. `digest` is the
 * key to cache the entry under; when the fingerprint names neither of the
 * token's secrets (regenerated since), the entry is one whose grace is over
 * (refused as `replaced_secret`) and `digest` is null: it must not be cached.
 */
export async function loadTokenByFingerprint(
  em: EntityManager,
  tokenId: string,
  accountId: string,
  fingerprint: string,
): Promise<{ verified: VerifiedToken; digest: string | null } | null> {
  const row = await tokenWithOwner(em)
    .where('t.id = :tokenId AND t.accountId = :accountId', { tokenId, accountId })
    .getRawOne<Record<string, unknown>>();
  if (!row) return null;
  const current = String(row.secretHash);
  if (constantTimeEqual(secretFingerprint(current), fingerprint)) {
    return { verified: await verifiedFromRow(em, row, null, fingerprint), digest: current };
  }
  const previous = row.previousSecretHash ? String(row.previousSecretHash) : null;
  if (previous && constantTimeEqual(secretFingerprint(previous), fingerprint)) {
    return { verified: await verifiedFromRow(em, row, toDate(row.previousSecretExpiresAt) ?? new Date(0), fingerprint), digest: previous };
  }
  return { verified: await verifiedFromRow(em, row, new Date(0), fingerprint), digest: null };
}

async function verifiedFromRow(em: EntityManager, row: Record<string, unknown>, graceUntil: Date | null, fingerprint: string): Promise<VerifiedToken> {
  const carried = stringListTransformer.from(row.catalogScopes as string | null);
  const catalog = carried.length
    ? await em.getRepository(AccountScope).find({
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
    graceUntil,
    fingerprint,
    ownerRole: row.ownerRole as VerifiedToken['ownerRole'],
    catalogScopes: catalog.map((s) => ({ name: s.name, minRole: s.minRole })),
    ownerStatus: row.ownerStatus as UserStatus,
    owner: userSnapshot(row),
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
export function principalOfToken(verified: VerifiedToken): Principal {
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
    expiresAt: verified.graceUntil ?? verified.expiresAt,
    user: verified.owner,
  });
}

/**
 * A session as it stands: not ended, its user active and of the same account.
 * The principal carries the user's current role.
 */
export async function checkSession(
  em: EntityManager,
  claims: { sessionId: string; userId: string; accountId: string },
): Promise<{ principal: Principal } | Refusal> {
  const row = await em
    .getRepository(Session)
    .createQueryBuilder('s')
    .innerJoin(User, 'u', 'u.id = s.userId')
    .select(['s.revokedAt AS revokedAt', 'u.role AS role', 'u.status AS status', 'u.accountId AS accountId', ...USER_COLUMNS])
    .where('s.id = :sid AND s.userId = :uid', { sid: claims.sessionId, uid: claims.userId })
    .getRawOne<Record<string, unknown>>();
  if (!row || row.revokedAt || row.status !== UserStatus.ACTIVE || row.accountId !== claims.accountId) {
    const known = row !== undefined && row.accountId === claims.accountId;
    const reason = !known ? 'unknown_session' : row.revokedAt ? 'session_ended' : 'user_deactivated';
    return known ? { reason, accountId: claims.accountId, userId: claims.userId } : { reason };
  }
  const role = row.role as Principal['role'];
  return {
    principal: {
      userId: claims.userId,
      accountId: claims.accountId,
      role,
      via: 'session',
      sessionId: claims.sessionId,
      scopes: scopesFor(role),
      user: userSnapshot(row),
    },
  };
}

/**
 * Every refused credential is an audit event (reason, IP and user agent from the request; the token id
 * when the credential named one, never the secret). Malformed or unknown credentials name no account:
 * the contract refuses them without touching the database (and a flood of them must not become a flood
 * of writes), so they are logged, not stored. A failure to write is logged and never changes the answer.
 */
export async function auditRefusal(dataSource: DataSource, refusal: Refusal, meta: RequestMeta | undefined, logger?: Logger): Promise<void> {
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

/** Raw rows give Date on MySQL and 'YYYY-MM-DD HH:MM:SS.SSS' (UTC) text on SQLite. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text.replace(' ', 'T') + 'Z');
}

/**
 * KnownSecrets' read: the digests of every token that can authenticate now (ACTIVE, unexpired; the
 * previous secret while its grace lasts), the most recently used first. Not keyed by any secret a
 * client sent.
 */
export async function loadUsableDigests(em: EntityManager, now: Date, limit: number): Promise<string[]> {
  const rows = await em
    .getRepository(ApiToken)
    .createQueryBuilder('t')
    .select(['t.secretHash AS secretHash', 't.previousSecretHash AS previousSecretHash', 't.previousSecretExpiresAt AS previousSecretExpiresAt'])
    .where('t.storedStatus = :active', { active: TokenStatus.ACTIVE })
    .andWhere('(t.expiresAt IS NULL OR t.expiresAt > :now)', { now })
    .orderBy('t.lastUsedAt', 'DESC')
    .limit(limit)
    .getRawMany<Record<string, unknown>>();
  const digests: string[] = [];
  for (const row of rows) {
    digests.push(String(row.secretHash));
    const graceUntil = toDate(row.previousSecretExpiresAt);
    if (row.previousSecretHash && graceUntil && graceUntil.getTime() > now.getTime()) digests.push(String(row.previousSecretHash));
  }
  return digests;
}
