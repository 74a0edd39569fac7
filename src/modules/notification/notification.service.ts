import { DataSource, In, IsNull } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { clock } from '../../common/clock';
import { isId } from '../../common/ids';
import { decodeCursor, Page, pageById, validatePageSize } from '../../common/pagination';
import { badInput } from '../../errors';
import { recordAudit } from '../audit/audit';
import { Notification, NotificationSettings } from './notification.entity';
import type { RequestMeta } from '../../common/request-meta';

const MAX_MARK = 100;

/** The caller's own in-app notifications and notification settings. Nobody sees anyone else's. */
export class NotificationService {
  constructor(private readonly dataSource: DataSource) {}

  async list(principal: Principal, unreadOnly: boolean | null | undefined, first?: number | null, after?: string | null): Promise<Page<Notification>> {
    const size = validatePageSize(first);
    const afterId = decodeCursor(after);
    // (userId, id) walked newest first, named for MySQL: with a million tokens' notifications MariaDB chose to walk the
    // primary key backwards and filter by user (16 ms for the first page of an owner with 13,000 of 215,000; 1 ms named).
    const qb = this.dataSource
      .getRepository(Notification)
      .createQueryBuilder('n')
      .where('n.userId = :me AND n.accountId = :acc', { me: principal.userId, acc: principal.accountId })
      .useIndex('idx_notification_user');
    if (unreadOnly) qb.andWhere('n.readAt IS NULL');
    return pageById(qb, size, afterId);
  }

  /** Mark the caller's notifications read; ids of anyone else's (or unknown ids) are ignored. Returns how many changed. */
  async markRead(principal: Principal, ids: string[]): Promise<number> {
    if (ids.length === 0) throw badInput('ids', 'must list at least one id');
    if (ids.length > MAX_MARK) throw badInput('ids', `may list at most ${MAX_MARK} ids`);
    if (ids.some((id) => !isId(id))) throw badInput('ids', 'contains something that is not an id');
    const result = await this.dataSource.transaction((em) =>
      em.getRepository(Notification).update({ id: In([...new Set(ids)]), userId: principal.userId, accountId: principal.accountId, readAt: IsNull() }, { readAt: clock.now() }),
    );
    return result.affected ?? 0;
  }

  async settings(principal: Principal): Promise<NotificationSettings> {
    const row = await this.dataSource.getRepository(NotificationSettings).findOneBy({ userId: principal.userId });
    return row ?? Object.assign(new NotificationSettings(), { userId: principal.userId, accountId: principal.accountId, email: true });
  }

  async updateSettings(principal: Principal, input: { email?: boolean | null }, meta: RequestMeta): Promise<NotificationSettings> {
    if (input.email === null) throw badInput('email', 'cannot be null');
    return this.dataSource.transaction(async (em) => {
      const repo = em.getRepository(NotificationSettings);
      const row = (await repo.findOneBy({ userId: principal.userId })) ?? repo.create({ userId: principal.userId, accountId: principal.accountId, email: true });
      if (input.email !== undefined && input.email !== null) row.email = input.email;
      const saved = await repo.save(row);
      await recordAudit(em, {
        accountId: principal.accountId,
        action: 'user.notification_settings_updated',
        principal,
        meta,
        targetType: 'user',
        targetId: principal.userId,
        details: { email: saved.email },
      });
      return saved;
    });
  }
}
