import { EntityManager } from 'typeorm';
import { PublicUser, selectPublicUser } from '../user/user.lookup';
import { ApiToken, TokenStatus } from './api-token.entity';

/*
 * The reads verification makes of tokens (src/verification): each one indexed query through the
 * token repository, joining the owner's public properties.
 */

/** What verification needs of a token, with its owner. */
export type TokenWithOwner = Pick<
  ApiToken,
  | 'id'
  | 'accountId'
  | 'ownerId'
  | 'username'
  | 'role'
  | 'environment'
  | 'storedStatus'
  | 'expiresAt'
  | 'secretHash'
  | 'previousSecretHash'
  | 'previousSecretExpiresAt'
  | 'catalogScopes'
  | 'allowedCidrs'
  | 'rateLimitPerMinute'
> & { owner: PublicUser };

const TOKEN_FIELDS = [
  'id',
  'accountId',
  'ownerId',
  'username',
  'role',
  'environment',
  'storedStatus',
  'expiresAt',
  'secretHash',
  'previousSecretHash',
  'previousSecretExpiresAt',
  'catalogScopes',
  'allowedCidrs',
  'rateLimitPerMinute',
] as const satisfies ReadonlyArray<keyof ApiToken>;

const withOwner = (em: EntityManager) =>
  selectPublicUser(
    em
      .getRepository(ApiToken)
      .createQueryBuilder('t')
      .select(TOKEN_FIELDS.map((f) => `t.${f}`))
      .innerJoin('t.ownerRef', 'u'),
    'u',
  );

function asTokenWithOwner(token: ApiToken | null): TokenWithOwner | null {
  if (!token?.ownerRef) return null;
  const { ownerRef, ...rest } = token;
  return { ...rest, owner: ownerRef };
}

/** The token one of whose secrets (current or previous) has this digest; null when none. */
export async function findTokenByDigest(em: EntityManager, digest: string): Promise<TokenWithOwner | null> {
  return asTokenWithOwner(await withOwner(em).where('t.secretHash = :digest OR t.previousSecretHash = :digest', { digest }).getOne());
}

/** The token with this id in this account; null when none. */
export async function findTokenById(em: EntityManager, tokenId: string, accountId: string): Promise<TokenWithOwner | null> {
  return asTokenWithOwner(await withOwner(em).where('t.id = :tokenId AND t.accountId = :accountId', { tokenId, accountId }).getOne());
}

/**
 * The digests of every token that can authenticate at `now` (ACTIVE, unexpired; the previous secret
 * while its grace lasts), the most recently used first, at most `limit` tokens. Not keyed by any
 * secret a client sent.
 */
export async function findUsableDigests(em: EntityManager, now: Date, limit: number): Promise<string[]> {
  const rows = await em
    .getRepository(ApiToken)
    .createQueryBuilder('t')
    .select(['t.id', 't.secretHash', 't.previousSecretHash', 't.previousSecretExpiresAt'])
    .where('t.storedStatus = :active', { active: TokenStatus.ACTIVE })
    .andWhere('(t.expiresAt IS NULL OR t.expiresAt > :now)', { now })
    .orderBy('t.lastUsedAt', 'DESC')
    .limit(limit)
    .getMany();
  const digests: string[] = [];
  for (const row of rows) {
    digests.push(row.secretHash);
    const graceUntil = row.previousSecretExpiresAt;
    if (row.previousSecretHash && graceUntil && graceUntil.getTime() > now.getTime()) digests.push(row.previousSecretHash);
  }
  return digests;
}
