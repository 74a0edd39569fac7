import { DataSource, In } from 'typeorm';
import { nextNoticeAfter } from '../api-token/expiry';
import type { Logger } from 'pino';
import { clock, DAY_MS } from '../../common/clock';
import { newId } from '../../common/ids';
import { Role } from '../../common/roles';
import { isUniqueViolation } from '../../db/errors';
import { Account } from '../account/account.entity';
import { ApiToken, TokenStatus } from '../api-token/api-token.entity';
import { tokenSummary } from '../api-token/api-token.service';
import { User, UserStatus } from '../user/user.entity';
import { enqueueWebhookEvent } from '../webhook/webhook-events';
import type { Mailer } from './mailer';
import { actionMail } from './owner-notice';
import { EmailStatus, Notification, NotificationKind, NotificationSettings, TokenExpiryNotice } from './notification.entity';

/** Tokens read per query by a pass. */
const NOTICE_BATCH = 500;
/** A token that expired longer ago than this gets no "expired" notice (e.g. when notices were off for a long time). */
const EXPIRED_NOTICE_WINDOW_MS = 7 * DAY_MS;
const MAX_EMAIL_ATTEMPTS = 5;

/**
 * The nearest threshold that is due for a token at `now`, or null. A threshold
 * t is due once expiresAt - t days has passed; of several due at once (a token
 * created with 4 days left under [30,10,5,1,0]) only the nearest counts, so
 * the skipped ones are never sent later. Threshold 0 is the expiry itself.
 */
export function dueThreshold(expiresAt: Date, thresholds: number[], now: Date): number | null {
  const due = thresholds.filter((t) => expiresAt.getTime() - t * DAY_MS <= now.getTime());
  if (due.length === 0) return null;
  const nearest = Math.min(...due);
  // Never announce "expires in N days" for a token that has already expired.
  if (nearest > 0 && expiresAt.getTime() <= now.getTime()) return null;
  return nearest;
}

export interface ExpiryPassResult {
  notices: number;
  notifications: number;
  emails: number;
}

/**
 * Expiry notices: for each ACTIVE token with an expiry, the nearest due
 * threshold becomes one notice (unique per token, expiry and threshold) with
 * an in-app notification for its owner, its issuer and every OWNER/ADMIN of
 * the account (each once), a webhook event, and e-mails for those who keep
 * e-mail on. Keyed by the expiry timestamp, so regenerating with a new expiry
 * starts afresh and revoking (no longer ACTIVE) stops pending notices.
 */
export class ExpiryNotifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads only the tokens whose nextNoticeAt has come (an index range, in
   * batches by (nextNoticeAt, id)), sends each its nearest due notice, and
   * moves nextNoticeAt to the next threshold crossing (null when the series is
   * over). A pass therefore costs what is due, whatever the table holds. A
   * token whose notice failed keeps its nextNoticeAt: the next pass retries it.
   */
  async run(): Promise<ExpiryPassResult> {
    const now = clock.now();
    const result: ExpiryPassResult = { notices: 0, notifications: 0, emails: 0 };
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const qb = this.dataSource
        .getRepository(ApiToken)
        .createQueryBuilder('t')
        .innerJoin('t.accountRef', 'a')
        .addSelect('a.expiryNotificationDays')
        .where('t.nextNoticeAt <= :now', { now });
      if (after) qb.andWhere('(t.nextNoticeAt > :afterAt OR (t.nextNoticeAt = :afterAt AND t.id > :afterId))', { afterAt: after.at, afterId: after.id });
      const batch = await qb.orderBy('t.nextNoticeAt', 'ASC').addOrderBy('t.id', 'ASC').limit(NOTICE_BATCH).getMany();
      if (batch.length === 0) break;
      const moves: Array<{ id: string; expiresAt: Date | null; next: Date | null }> = [];
      for (const token of batch) {
        const thresholds = token.accountRef?.expiryNotificationDays ?? [];
        const expiresAt = token.expiresAt;
        if (token.storedStatus !== TokenStatus.ACTIVE || !expiresAt) {
          moves.push({ id: token.id, expiresAt, next: null });
          continue;
        }
        const tooOld = expiresAt.getTime() <= now.getTime() - EXPIRED_NOTICE_WINDOW_MS;
        const threshold = tooOld ? null : dueThreshold(expiresAt, thresholds, now);
        try {
          if (threshold !== null) {
            const n = await this.notify(token.id, expiresAt, threshold);
            if (n > 0) {
              result.notices += 1;
              result.notifications += n;
            }
          }
          moves.push({ id: token.id, expiresAt, next: tooOld ? null : nextNoticeAfter(expiresAt, thresholds, now) });
        } catch (err) {
          this.logger.error({ err, tokenId: token.id }, 'expiry notice failed; the next pass retries it');
        }
      }
      // Only if the expiry is still the one handled: a regenerate meanwhile set its own series.
      await this.dataSource.transaction(async (em) => {
        for (const m of moves) {
          const qb = em.createQueryBuilder().update(ApiToken).set({ nextNoticeAt: m.next }).where('id = :id', { id: m.id });
          if (m.expiresAt) qb.andWhere('expiresAt = :expiresAt', { expiresAt: m.expiresAt });
          await qb.updateEntity(false).execute();
        }
      });
      const last = batch[batch.length - 1];
      after = { at: last.nextNoticeAt!, id: last.id };
      if (batch.length < NOTICE_BATCH) break;
    }
    result.emails = await this.sendPendingEmails();
    return result;
  }

  /** One notice in one transaction. Returns the notifications written (0 when it was already sent). */
  private async notify(tokenId: string, expiresAt: Date, threshold: number): Promise<number> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const now = clock.now();
        // Re-read inside the transaction: a revoke or regenerate since the scan wins.
        const token = await em.getRepository(ApiToken).findOneBy({ id: tokenId });
        if (!token || token.storedStatus !== TokenStatus.ACTIVE || token.expiresAt?.getTime() !== expiresAt.getTime()) return 0;
        const sent = await em.getRepository(TokenExpiryNotice).find({ where: { tokenId, tokenExpiresAt: expiresAt }, select: { thresholdDays: true } });
        if (sent.some((s) => s.thresholdDays <= threshold)) return 0; // this one, or a nearer one, went out already
        const notices = em.getRepository(TokenExpiryNotice);
        await notices.insert(notices.create({ id: newId(), accountId: token.accountId, tokenId, tokenExpiresAt: expiresAt, thresholdDays: threshold, createdAt: now, updatedAt: now }));

        const recipients = await em
          .getRepository(User)
          .createQueryBuilder('u')
          .where('u.accountId = :acc AND u.status = :active', { acc: token.accountId, active: UserStatus.ACTIVE })
          // Service accounts hear about their own tokens only, not as the account's admins.
          .andWhere("(u.id IN (:...ids) OR (u.role IN (:...roles) AND u.kind = 'PERSON'))", { ids: [token.ownerId, token.createdById], roles: [Role.OWNER, Role.ADMIN] })
          .getMany();
        const settings = recipients.length ? await em.getRepository(NotificationSettings).findBy({ userId: In(recipients.map((u) => u.id)) }) : [];
        const emailOff = new Set(settings.filter((s) => !s.email).map((s) => s.userId));
        const kind = threshold === 0 ? NotificationKind.TOKEN_EXPIRED : NotificationKind.TOKEN_EXPIRING;
        const rows = recipients.map((u) =>
          em.getRepository(Notification).create({
            id: newId(),
            accountId: token.accountId,
            userId: u.id,
            tokenId,
            kind,
            thresholdDays: threshold,
            tokenExpiresAt: expiresAt,
            readAt: null,
            emailStatus: emailOff.has(u.id) || !u.email ? EmailStatus.SKIPPED : EmailStatus.PENDING,
            emailAttempts: 0,
            emailLockedUntil: null,
          }),
        );
        if (rows.length) await em.save(rows);
        await enqueueWebhookEvent(
          em,
          token.accountId,
          threshold === 0 ? 'token.expired' : 'token.expiring',
          {
            token: tokenSummary(token, now),
            thresholdDays: threshold,
          },
          now,
        );
        return rows.length;
      });
    } catch (err) {
      if (isUniqueViolation(err)) return 0; // another pass or replica sent it first
      throw err;
    }
  }

  /** Send queued e-mails (expiry notices, action notices, inactivity warnings), each claimed first so two replicas never send the same one. */
  async sendPendingEmails(limit = 100): Promise<number> {
    const now = clock.now();
    // Two indexed queries, (emailStatus, id) each, rather than one OR the database would have to sort.
    const queued = (status: EmailStatus, n: number) => {
      const qb = this.dataSource.getRepository(Notification).createQueryBuilder('n').where('n.emailStatus = :status', { status });
      if (status === EmailStatus.SENDING) qb.andWhere('n.emailLockedUntil <= :now', { now });
      return qb.orderBy('n.id', 'ASC').limit(n).getMany();
    };
    const pending = await queued(EmailStatus.PENDING, limit);
    if (pending.length < limit) pending.push(...(await queued(EmailStatus.SENDING, limit - pending.length)));
    let sent = 0;
    for (const n of pending) {
      const lease = new Date(clock.nowMs() + 5 * 60_000);
      const claim = await this.dataSource.transaction((em) =>
        em
          .createQueryBuilder()
          .update(Notification)
          .set({ emailStatus: EmailStatus.SENDING, emailLockedUntil: lease })
          .where("id = :id AND (emailStatus = 'PENDING' OR (emailStatus = 'SENDING' AND emailLockedUntil <= :now))", { id: n.id, now })
          .updateEntity(false)
          .execute(),
      );
      if (claim.affected !== 1) continue;
      let status = EmailStatus.SENT;
      try {
        const user = await this.dataSource.getRepository(User).findOneBy({ id: n.userId });
        const token = await this.dataSource.getRepository(ApiToken).findOneBy({ id: n.tokenId });
        // A service account without an e-mail address gets its notices in the app only.
        if (!user || !token || !user.email) status = EmailStatus.SKIPPED;
        else {
          const expiry = n.kind === NotificationKind.TOKEN_EXPIRING || n.kind === NotificationKind.TOKEN_EXPIRED;
          const to = { email: user.email, name: user.name };
          await this.mailer.send(expiry ? expiryMail(to, token, n) : actionMail(to, token, n));
          sent += 1;
        }
      } catch (err) {
        status = n.emailAttempts + 1 >= MAX_EMAIL_ATTEMPTS ? EmailStatus.FAILED : EmailStatus.PENDING;
        this.logger.warn({ err, notificationId: n.id, attempts: n.emailAttempts + 1 }, 'notice e-mail failed');
      }
      await this.dataSource.transaction((em) =>
        em
          .createQueryBuilder()
          .update(Notification)
          .set({ emailStatus: status, emailLockedUntil: null, emailAttempts: () => 'emailAttempts + 1' })
          .where('id = :id', { id: n.id })
          .updateEntity(false)
          .execute(),
      );
    }
    return sent;
  }
}

/** The e-mail: token name, hint and dates, never a secret. */
export function expiryMail(user: { email: string; name: string }, token: Pick<ApiToken, 'name' | 'hint' | 'environment'>, n: Pick<Notification, 'thresholdDays' | 'tokenExpiresAt'>) {
  const when = n.tokenExpiresAt.toISOString();
  const subject = n.thresholdDays === 0 ? `API token "${token.name}" has expired` : `API token "${token.name}" expires in ${n.thresholdDays} day${n.thresholdDays === 1 ? '' : 's'}`;
  const text = [
    `Hello ${user.name},`,
    '',
    n.thresholdDays === 0 ? `The API token "${token.name}" (${token.hint}…) expired at ${when}.` : `The API token "${token.name}" (${token.hint}…) expires at ${when}.`,
    token.environment ? `Environment: ${token.environment}` : '',
    '',
    'Regenerate it with a new expiry, or create a new token, before clients start failing.',
    'You can turn these e-mails off with updateNotificationSettings(input: { email: false }).',
  ]
    .filter((l, i, a) => l !== '' || a[i - 1] !== '')
    .join('\n');
  return { to: user.email, subject, text };
}
