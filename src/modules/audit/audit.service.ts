import { DataSource } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { isId } from '../../common/ids';
import { decodeCursor, Page, pageById, validatePageSize } from '../../common/pagination';
import { badInput } from '../../errors';
import { AuditEvent } from './audit-event.entity';
import { AuditEventFilter } from './audit.inputs';

/**
 * Reads the audit trail of the caller's own account, newest first. Who may read it (OWNER and ADMIN)
 * is the permission map's adminReader rule on auditEvents (src/authz/permissions.ts).
 */
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async list(principal: Principal, filter: AuditEventFilter | null | undefined, first?: number | null, after?: string | null): Promise<Page<AuditEvent>> {
    const size = validatePageSize(first);
    const afterId = decodeCursor(after);
    const f = filter ?? {};
    const qb = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e').where('e.accountId = :acc', { acc: principal.accountId });
    if (f.action != null) {
      const action = f.action.trim();
      if (action === '' || action.length > 64) throw badInput('filter.action', 'must be 1 to 64 characters');
      qb.andWhere('e.action = :action', { action });
    }
    for (const key of ['actorId', 'targetId'] as const) {
      const v = f[key];
      if (v == null) continue;
      if (!isId(v)) throw badInput(`filter.${key}`, 'is not an id');
      qb.andWhere(`e.${key} = :${key}`, { [key]: v });
    }
    if (f.since && f.until && f.since.getTime() > f.until.getTime()) throw badInput('filter.since', 'must not be after filter.until');
    if (f.since) qb.andWhere('e.createdAt >= :since', { since: f.since });
    if (f.until) qb.andWhere('e.createdAt < :until', { until: f.until });
    // Walk the index that fits the filter, newest first (all of them end in id); never the primary key backwards.
    qb.useIndex(
      f.action != null
        ? 'idx_audit_event_account_action'
        : f.actorId != null
          ? 'idx_audit_event_account_actor'
          : f.targetId != null
            ? 'idx_audit_event_account_target'
            : 'idx_audit_event_account_id',
    );
    return pageById(qb, size, afterId);
  }
}
