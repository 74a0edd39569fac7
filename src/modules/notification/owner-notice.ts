import { EntityManager } from 'typeorm';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import type { ApiToken } from '../api-token/api-token.entity';
import { User, UserStatus } from '../user/user.entity';
import { EmailStatus, Notification, NotificationKind, NotificationSettings } from './notification.entity';

/** How a notice names an actor that is not a user. */
export const LEAK_REPORT_ACTOR = 'a leak report';
export const CLEAN_UP_ACTOR = 'the inactivity clean-up';

/** Something done to a token that its owner must hear about when they did not do it themselves. */
export interface TokenAction {
  kind: NotificationKind.TOKEN_REVOKED | NotificationKind.TOKEN_DISABLED | NotificationKind.TOKEN_REGENERATED;
  token: Pick<ApiToken, 'id' | 'accountId' | 'ownerId'>;
  /** The user who acted, or null with `actorLabel` (a leak report, the clean-up). */
  actorId: string | null;
  actorLabel?: string;
  at: Date;
  reason?: string | null;
}

/** An active user's e-mail preference: no settings row means e-mail on. */
async function emailStatusFor(em: EntityManager, userId: string): Promise<EmailStatus> {
  const settings = await em.getRepository(NotificationSettings).findOneBy({ userId });
  return settings && !settings.email ? EmailStatus.SKIPPED : EmailStatus.PENDING;
}

/**
 * Tell a token's owner, in the change's own transaction, that someone else acted on it: one in-app
 * notification naming who and when, and an e-mail unless they turned e-mail off (sent by the
 * scheduler's e-mail loop). Nothing when the owner did it themselves or can no longer sign in.
 * Never carries the secret: the notice names the token by id (and its e-mail by name and hint).
 * Returns whether a notice was written.
 */
export async function noticeOwner(em: EntityManager, action: TokenAction): Promise<boolean> {
  if (action.actorId === action.token.ownerId) return false;
  const owner = await activeOwner(em, action.token);
  if (!owner) return false;
  let actor = action.actorLabel ?? null;
  if (action.actorId) {
    const who = await em.getRepository(User).findOne({ where: { id: action.actorId, accountId: action.token.accountId }, select: { id: true, name: true, email: true } });
    // A service account acting through its token may have no address: its name alone.
    actor = who ? (who.email ? `${who.name} <${who.email}>` : who.name) : 'another user of your account';
  }
  await insertNotice(em, owner, action.token, {
    kind: action.kind,
    thresholdDays: 0,
    tokenExpiresAt: action.at,
    actorId: action.actorId,
    actor,
    actedAt: action.at,
    reason: action.reason ?? null,
  });
  return true;
}

/** The inactivity warning: the clean-up will revoke the token at `revokeAt`, `daysLeft` days from now. */
export async function noticeInactive(em: EntityManager, token: Pick<ApiToken, 'id' | 'accountId' | 'ownerId'>, revokeAt: Date, daysLeft: number, now: Date): Promise<boolean> {
  const owner = await activeOwner(em, token);
  if (!owner) return false;
  await insertNotice(em, owner, token, {
    kind: NotificationKind.TOKEN_INACTIVE,
    thresholdDays: daysLeft,
    tokenExpiresAt: revokeAt,
    actorId: null,
    actor: CLEAN_UP_ACTOR,
    actedAt: now,
    reason: 'inactive',
  });
  return true;
}

/** The token's owner, when they can still sign in; null otherwise (no notice for them). */
async function activeOwner(em: EntityManager, token: Pick<ApiToken, 'accountId' | 'ownerId'>): Promise<{ id: string } | null> {
  const owner = await em.getRepository(User).findOne({ where: { id: token.ownerId, accountId: token.accountId }, select: { id: true, status: true } });
  return owner && owner.status === UserStatus.ACTIVE ? owner : null;
}

/** One notice for the owner, in the change's own transaction; the scheduler e-mails it unless they turned e-mail off. */
async function insertNotice(
  em: EntityManager,
  owner: { id: string },
  token: Pick<ApiToken, 'id' | 'accountId'>,
  what: Pick<Notification, 'kind' | 'thresholdDays' | 'tokenExpiresAt' | 'actorId' | 'actor' | 'actedAt' | 'reason'>,
): Promise<void> {
  const now = clock.now();
  await em.getRepository(Notification).insert({
    id: newId(),
    accountId: token.accountId,
    userId: owner.id,
    tokenId: token.id,
    ...what,
    readAt: null,
    emailStatus: await emailStatusFor(em, owner.id),
    emailAttempts: 0,
    emailLockedUntil: null,
    createdAt: now,
    updatedAt: now,
  });
}

const VERB: Partial<Record<NotificationKind, string>> = {
  [NotificationKind.TOKEN_REVOKED]: 'revoked',
  [NotificationKind.TOKEN_DISABLED]: 'disabled',
  [NotificationKind.TOKEN_REGENERATED]: 'regenerated',
};

/** The e-mail of an action notice or an inactivity warning: who, when, the token's name and hint; never a secret. */
export function actionMail(
  user: { email: string; name: string },
  token: Pick<ApiToken, 'name' | 'hint' | 'environment'>,
  n: Pick<Notification, 'kind' | 'actor' | 'actedAt' | 'reason' | 'tokenExpiresAt' | 'thresholdDays'>,
) {
  const when = (n.actedAt ?? n.tokenExpiresAt).toISOString();
  const label = `"${token.name}" (${token.hint}…)`;
  let subject: string;
  let lines: string[];
  if (n.kind === NotificationKind.TOKEN_INACTIVE) {
    subject = `API token "${token.name}" will be revoked for inactivity`;
    lines = [
      `The API token ${label} has not been used for a long time. Your account's policy revokes unused tokens:`,
      `it will be revoked at ${n.tokenExpiresAt.toISOString()} (in ${n.thresholdDays} day${n.thresholdDays === 1 ? '' : 's'}) unless it is used before then.`,
    ];
  } else {
    const verb = VERB[n.kind] ?? 'changed';
    subject = `API token "${token.name}" was ${verb} by ${n.actor ?? 'someone else'}`;
    lines = [
      `The API token ${label} was ${verb} by ${n.actor ?? 'someone else'} at ${when}.`,
      n.reason ? `Reason: ${n.reason}` : '',
      n.kind === NotificationKind.TOKEN_REGENERATED
        ? 'Its old secret no longer works (or stops at the end of the grace period); ask whoever regenerated it for the new one, or create a new token.'
        : n.kind === NotificationKind.TOKEN_DISABLED
          ? 'Requests with it are refused until it is enabled again (with the same secret).'
          : 'Requests with it are refused from now on; create a new token if you still need one.',
    ];
  }
  const text = [
    `Hello ${user.name},`,
    '',
    ...lines,
    token.environment ? `Environment: ${token.environment}` : '',
    '',
    'You can turn these e-mails off with updateNotificationSettings(input: { email: false }).',
  ]
    .filter((l, i, a) => l !== '' || a[i - 1] !== '')
    .join('\n');
  return { to: user.email, subject, text };
}
