import { DataSource, EntityManager, In } from 'typeorm';
import type { Logger } from 'pino';
import type { TokenCache } from '../../auth/token-cache';
import { clock, DAY_MS } from '../../common/clock';
import { newId } from '../../common/ids';
import { isUniqueViolation } from '../../db/errors';
import { supportsRowLocks } from '../../db/locks';
import { Account } from '../account/account.entity';
import { INACTIVITY_NOTICE_DAYS } from '../account/account.service';
import { NotificationKind } from '../notification/notification.entity';
import { CLEAN_UP_ACTOR, noticeInactive, noticeOwner } from '../notification/owner-notice';
import { ApiToken, TokenStatus } from './api-token.entity';
import { tokenChanged } from './api-token.service';
import { TokenInactivityNotice } from './inactivity-notice.entity';

export interface InactivityPassResult {
  warned: number;
  revoked: number;
}

/** Tokens read per query. */
const BATCH = 500;

const lastActivity = (t: Pick<ApiToken, 'lastUsedAt' | 'createdAt'>): Date => t.lastUsedAt ?? t.createdAt;

/**
 * The account policy revokeUnusedAfterDays (N): an ACTIVE token whose last use (or creation, if never
 * used) is more than N - 7 days ago gets a warning to its owner (in-app and e-mail) naming the time of
 * revocation; once that time has come and the token is still unused, it is revoked with reason
 * "inactive" (audited, token.revoked, the owner told). Disabled tokens are left alone (they are not
 * ACTIVE). Safe to run on every replica at once: warnings are unique per (token, last activity) and a
 * revocation is a conditional update of an ACTIVE row under its row lock, so each happens once.
 */
export class InactivityCleaner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: TokenCache,
    private readonly logger?: Logger,
  ) {}

  async run(): Promise<InactivityPassResult> {
    const result: InactivityPassResult = { warned: 0, revoked: 0 };
    const accounts = await this.dataSource.getRepository(Account).createQueryBuilder('a').select(['a.id', 'a.revokeUnusedAfterDays']).where('a.revokeUnusedAfterDays IS NOT NULL').getMany();
    for (const account of accounts) {
      const r = await this.runAccount(account.id, account.revokeUnusedAfterDays!);
      result.warned += r.warned;
      result.revoked += r.revoked;
    }
    return result;
  }

  private async runAccount(accountId: string, days: number): Promise<InactivityPassResult> {
    const result: InactivityPassResult = { warned: 0, revoked: 0 };
    const now = clock.now();
    const warnBefore = new Date(now.getTime() - (days - INACTIVITY_NOTICE_DAYS) * DAY_MS);
    const revokeBefore = new Date(now.getTime() - days * DAY_MS);
    let afterId = '';
    for (;;) {
      // Two index ranges of (accountId, storedStatus, lastUsedAt): used long ago, or never used and created long ago.
      const batch = await this.dataSource
        .getRepository(ApiToken)
        .createQueryBuilder('t')
        .select(['t.id', 't.accountId', 't.ownerId', 't.lastUsedAt', 't.createdAt'])
        .where("t.accountId = :accountId AND t.storedStatus = 'ACTIVE' AND (t.expiresAt IS NULL OR t.expiresAt > :now)", { accountId, now })
        .andWhere('((t.lastUsedAt IS NOT NULL AND t.lastUsedAt <= :warnBefore) OR (t.lastUsedAt IS NULL AND t.createdAt <= :warnBefore))', { warnBefore })
        .andWhere('t.id > :afterId', { afterId })
        .orderBy('t.id', 'ASC')
        .limit(BATCH)
        .getMany();
      if (batch.length === 0) break;
      const warnings = await this.dataSource.getRepository(TokenInactivityNotice).find({ where: { tokenId: In(batch.map((t) => t.id)) } });
      for (const token of batch) {
        const basis = lastActivity(token);
        const warning = warnings.find((w) => w.tokenId === token.id && w.lastActivityAt.getTime() === basis.getTime());
        try {
          if (!warning) {
            if (await this.warn(token, basis, days, now)) result.warned += 1;
          } else if (warning.revokeAt.getTime() <= now.getTime() && basis.getTime() <= revokeBefore.getTime()) {
            if (await this.revoke(token.id, basis, days, now)) result.revoked += 1;
          }
        } catch (err) {
          this.logger?.error({ err, tokenId: token.id }, 'inactivity clean-up failed for a token; the next pass retries it');
        }
      }
      afterId = batch[batch.length - 1].id;
      if (batch.length < BATCH) break;
    }
    return result;
  }

  /** The warning, in one transaction; false when another pass gave it first. */
  private async warn(token: Pick<ApiToken, 'id' | 'accountId' | 'ownerId'>, basis: Date, days: number, now: Date): Promise<boolean> {
    const revokeAt = new Date(Math.max(basis.getTime() + days * DAY_MS, now.getTime() + INACTIVITY_NOTICE_DAYS * DAY_MS));
    const daysLeft = Math.ceil((revokeAt.getTime() - now.getTime()) / DAY_MS);
    try {
      await this.dataSource.transaction(async (em) => {
        const notices = em.getRepository(TokenInactivityNotice);
        await notices.insert(notices.create({ id: newId(), accountId: token.accountId, tokenId: token.id, lastActivityAt: basis, revokeAt, createdAt: now, updatedAt: now }));
        await noticeInactive(em, token, revokeAt, daysLeft, now);
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** The revocation, in one transaction, only if the token is still ACTIVE and unused since `basis`. */
  private async revoke(tokenId: string, basis: Date, days: number, now: Date): Promise<boolean> {
    const revoked = await this.dataSource.transaction(async (em: EntityManager) => {
      const qb = em.getRepository(ApiToken).createQueryBuilder('t').where('t.id = :tokenId', { tokenId });
      if (supportsRowLocks(em)) qb.setLock('pessimistic_write');
      const token = await qb.getOne();
      if (!token || token.storedStatus !== TokenStatus.ACTIVE || lastActivity(token).getTime() !== basis.getTime()) return null;
      if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return null;
      const changed = await em
        .createQueryBuilder()
        .update(ApiToken)
        .set({ storedStatus: TokenStatus.REVOKED, revokedAt: now, revokedById: null, nextNoticeAt: null, previousSecretHash: null, previousSecretExpiresAt: null, updatedAt: now })
        .where("id = :tokenId AND storedStatus = 'ACTIVE'", { tokenId })
        .updateEntity(false)
        .execute();
      if (changed.affected !== 1) return null;
      Object.assign(token, { storedStatus: TokenStatus.REVOKED, revokedAt: now, revokedById: null });
      await tokenChanged(em, null, null, 'token.revoked', token, now, { reason: 'inactive', unusedDays: days, lastUsedAt: token.lastUsedAt?.toISOString() ?? null }, 'inactive');
      await noticeOwner(em, { kind: NotificationKind.TOKEN_REVOKED, token, actorId: null, actorLabel: CLEAN_UP_ACTOR, at: now, reason: 'inactive' });
      return token.id;
    });
    if (!revoked) return false;
    this.cache.invalidateToken(revoked);
    return true;
  }
}
