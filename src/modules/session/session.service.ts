import { Brackets, DataSource, EntityManager, In, IsNull } from 'typeorm';
import type { Principal } from '../../auth/principal';
import type { TokenCache } from '../../auth/token-cache';
import { clock } from '../../common/clock';
import { isId } from '../../common/ids';
import { badInput, notFound } from '../../errors';
import { AuditEvent } from '../audit/audit-event.entity';
import { auditSession } from '../audit/audit';
import { Session } from './session.entity';
import { SessionInfo } from './session-info.type';
import type { RequestMeta } from '../../common/request-meta';

/** Most sessions listed at once (newest first); a user rarely has more than a handful. */
export const MAX_LISTED_SESSIONS = 100;

/**
 * The caller's own sessions: list them, end one, end all but the current one.
 * Every query is scoped by the caller's user and account, so another user's
 * session id is simply not found.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    /** Told after commit of every session ended here, so caches everywhere forget it. */
    private readonly tokenCache?: TokenCache,
  ) {}

  /** Sessions that can still act: not ended, with an unused refresh token that has not expired. */
  async list(p: Principal): Promise<SessionInfo[]> {
    const now = clock.now();
    const sessions = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('s')
      .where('s.userId = :uid AND s.accountId = :acc AND s.revokedAt IS NULL', { uid: p.userId, acc: p.accountId })
      .andWhere(new Brackets((qb) => qb.where(`EXISTS (SELECT 1 FROM refresh_token r WHERE r.sessionId = s.id AND r.usedAt IS NULL AND r.expiresAt > :now)`, { now })))
      .orderBy('s.id', 'DESC')
      .take(MAX_LISTED_SESSIONS)
      .getMany();
    if (sessions.length === 0) return [];
    // Where and from what each session last signed in or renewed: its own audit events (no extra columns).
    const events = await this.dataSource.getRepository(AuditEvent).find({
      where: { accountId: p.accountId, targetType: 'session', targetId: In(sessions.map((s) => s.id)), action: In(['session.created', 'session.refreshed']) },
      select: { targetId: true, ip: true, userAgent: true, createdAt: true, id: true },
      order: { id: 'ASC' },
    });
    const latest = new Map<string, AuditEvent>();
    for (const e of events) if (e.targetId) latest.set(e.targetId, e);
    return sessions.map((s) => {
      const e = latest.get(s.id);
      return Object.assign(new SessionInfo(), {
        id: s.id,
        createdAt: s.createdAt,
        lastActiveAt: e && e.createdAt > s.createdAt ? e.createdAt : s.createdAt,
        ip: e?.ip ?? null,
        userAgent: e?.userAgent ?? null,
        current: p.via === 'session' && p.sessionId === s.id,
      });
    });
  }

  /** End one of the caller's sessions (the current one too: that is signing out). */
  async revoke(p: Principal, id: string, meta: RequestMeta): Promise<string> {
    if (!isId(id)) throw badInput('id', 'is not an id');
    const ended = await this.dataSource.transaction(async (em) => {
      const found = await em.getRepository(Session).findOneBy({ id, userId: p.userId, accountId: p.accountId, revokedAt: IsNull() });
      if (!found) return false;
      await endSessions(em, [found.id], 'revoked_by_user', meta);
      return true;
    });
    if (!ended) throw notFound('Session');
    this.tokenCache?.sessionEnded(id);
    return id;
  }

  /** End every session of the caller but the one this request uses; how many ended. */
  async revokeOthers(p: Principal, meta: RequestMeta): Promise<number> {
    const ended = await this.dataSource.transaction((em) => endOtherSessions(em, p, 'revoked_by_user', meta));
    // The user's other sessions: caches forget every verdict of the user (the current one is read again).
    if (ended > 0) this.tokenCache?.invalidateUser(p.userId);
    return ended;
  }
}

/** End the user's sessions except the caller's current one, with an audit event each; how many ended. */
export async function endOtherSessions(em: EntityManager, p: Principal, reason: string, meta: RequestMeta): Promise<number> {
  const qb = em
    .getRepository(Session)
    .createQueryBuilder('s')
    .select('s.id', 'id')
    .where('s.userId = :uid AND s.accountId = :acc AND s.revokedAt IS NULL', { uid: p.userId, acc: p.accountId });
  if (p.via === 'session' && p.sessionId) qb.andWhere('s.id <> :current', { current: p.sessionId });
  const rows: Array<{ id: string }> = await qb.getRawMany();
  return endSessions(
    em,
    rows.map((r) => r.id),
    reason,
    meta,
  );
}

async function endSessions(em: EntityManager, ids: string[], reason: string, meta: RequestMeta): Promise<number> {
  let ended = 0;
  for (const id of ids) {
    const r = await em.getRepository(Session).update({ id, revokedAt: IsNull() }, { revokedAt: clock.now(), revokedReason: reason });
    if (r.affected) {
      ended++;
      await auditSession(em, id, 'session.ended', reason, meta);
    }
  }
  return ended;
}
