import { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { clientAddress } from '../../common/client-address';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import type { RequestMeta } from '../../common/request-meta';
import { Session } from '../session/session.entity';
import { AuditEvent } from './audit-event.entity';

export interface AuditInput {
  accountId: string | null;
  action: string;
  /** Defaults to the principal's user and token. */
  principal?: Principal | null;
  actorId?: string | null;
  /** Defaults to the principal's token (API-token requests). */
  actorTokenId?: string | null;
  targetType?: string;
  targetId?: string | null;
  reason?: string;
  details?: Record<string, unknown>;
  /** The request's address and user agent (ctx.meta); null for work no request asked for (scheduler, scripts). */
  meta: RequestMeta | null;
}

const MAX_DETAILS = 2000;

function toRow(input: AuditInput): AuditEvent {
  const meta = input.meta ?? {};
  const row = new AuditEvent();
  row.id = newId();
  row.accountId = input.accountId;
  row.action = input.action;
  row.actorId = input.actorId !== undefined ? input.actorId : (input.principal?.userId ?? null);
  row.actorTokenId = input.actorTokenId !== undefined ? input.actorTokenId : input.principal?.via === 'apiToken' ? (input.principal.tokenId ?? null) : null;
  row.targetType = input.targetType ?? null;
  row.targetId = input.targetId ?? null;
  row.reason = input.reason ?? null;
  row.ip = clientAddress(meta.ip) ?? null;
  row.userAgent = meta.userAgent ? meta.userAgent.slice(0, 300) : null;
  let details = input.details ? JSON.stringify(input.details) : null;
  if (details && details.length > MAX_DETAILS) details = JSON.stringify({ truncated: true });
  row.details = details;
  row.createdAt = clock.now();
  row.updatedAt = row.createdAt;
  return row;
}

/** Record an event inside the transaction that makes the change it describes. */
export async function recordAudit(em: EntityManager, input: AuditInput): Promise<void> {
  await em.getRepository(AuditEvent).insert(toRow(input));
}

/**
 * Record an event that has no change of its own (a failed authentication).
 * Through a transaction, because on SQLite every write must be queued
 * (serializeSqliteTransactions). A failure to write is logged by the caller,
 * never turned into a different answer for the client.
 */
export async function recordAuditStandalone(dataSource: DataSource, input: AuditInput): Promise<void> {
  const row = toRow(input); // the clock read now, not when the queued transaction runs
  await dataSource.transaction((em) => em.getRepository(AuditEvent).insert(row));
}

/** A change to a user, as an audit event in the change's transaction. */
export function auditUser(
  em: EntityManager,
  principal: Principal | null,
  meta: RequestMeta | null,
  action: string,
  user: { id: string; accountId: string },
  details?: Record<string, unknown>,
): Promise<void> {
  return recordAudit(em, { accountId: user.accountId, action, principal, meta, targetType: 'user', targetId: user.id, details });
}

/** A session that ended (logout, refresh-token reuse), in the transaction that ends it. */
export async function auditSession(em: EntityManager, sessionId: string, action: string, reason: string, meta: RequestMeta | null): Promise<void> {
  const row = await em.getRepository(Session).findOne({ where: { id: sessionId }, select: { id: true, userId: true, accountId: true } });
  if (!row) return;
  await recordAudit(em, { accountId: row.accountId, action, actorId: row.userId, targetType: 'session', targetId: row.id, reason, meta });
}

/** A refused login: the account is known when the e-mail address is. Never records the password. */
export async function auditLoginFailure(dataSource: DataSource, user: { id: string; accountId: string } | null, reason: string, meta: RequestMeta): Promise<void> {
  try {
    await recordAuditStandalone(dataSource, {
      accountId: user?.accountId ?? null,
      action: 'auth.failed',
      actorId: user?.id ?? null,
      targetType: user ? 'user' : undefined,
      targetId: user?.id ?? null,
      reason,
      meta,
    });
  } catch {
    // The audit trail must not change the answer: the client still gets UNAUTHENTICATED.
  }
}
