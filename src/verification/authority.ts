import { DataSource, EntityManager } from 'typeorm';
import { adminRefusal, writerRefusal } from '../authz/permissions';
import { clock } from '../common/clock';
import { lockAccount } from '../db/locks';
import { notFound, unauthenticated } from '../errors';
import type { Authority, WithAuthority } from '../auth/authority';
import type { Principal } from '../auth/principal';
import type { RequestMeta } from '../common/request-meta';
import type { Account } from '../modules/account/account.entity';
import { auditRefusal, checkSession, INVALID_SESSION, INVALID_TOKEN, loadTokenByFingerprint, buildTokenPrincipal, Refusal, refusalOf, tokenRefusal } from './credential-state';

/**
 * Run a change that rests on the caller's authority (role and status changes,
 * account policy, token creation, regeneration, revocation and deletion, the
 * scope catalog, webhooks) in one transaction that first locks the account row,
 * then reads the caller again (user status and role; the token still usable and
 * its role, or the session still live) and decides with those values: `work`
 * gets the caller as they are now, not as they were when the request was
 * authenticated.
 *
 * Every change to a user's role or status, to a token's status or secrets and to
 * the catalog takes the same lock first, so a change committed before this
 * transaction got the lock is seen here (the re-read is the transaction's first
 * plain read, so MySQL's snapshot is taken after the lock; SQLite runs one
 * transaction at a time), and one that comes later waits for this one. A
 * request authenticated before a demotion, deactivation or revocation committed
 * therefore cannot act on the authority it had.
 *
 * A caller whose credential no longer holds is refused UNAUTHENTICATED with the
 * message of a direct refusal, and the refusal is audited like one; a caller
 * whose current role no longer allows the change gets the permission map's
 * FORBIDDEN.
 */
export function authorityOver(dataSource: DataSource): WithAuthority<Account> {
  return (principal, meta, need, work) => withAuthority(dataSource, principal, meta, need, work);
}

async function withAuthority<T>(
  dataSource: DataSource,
  principal: Principal,
  meta: RequestMeta,
  need: Authority,
  work: (em: EntityManager, actor: Principal, account: Account) => Promise<T>,
): Promise<T> {
  let refused: Refusal | undefined;
  try {
    return await dataSource.transaction(async (em) => {
      const account = await lockAccount(em, principal.accountId);
      if (!account) throw notFound('Account');
      const now = await callerNow(em, principal);
      if ('reason' in now) {
        refused = now;
        throw unauthenticated(principal.via === 'apiToken' ? INVALID_TOKEN : INVALID_SESSION);
      }
      const denied = need === 'admin' ? (writerRefusal(now.principal) ?? adminRefusal(now.principal)) : writerRefusal(now.principal);
      if (denied) throw denied;
      return work(em, now.principal, account);
    });
  } catch (err) {
    if (refused) await auditRefusal(dataSource, { ...refused, reason: `recheck:${refused.reason}` }, meta);
    throw err;
  }
}

/** The caller's credential and user as the database has them now, decided as the authenticator decides. */
async function callerNow(em: EntityManager, p: Principal): Promise<{ principal: Principal } | Refusal> {
  if (p.via === 'session') {
    if (!p.sessionId) return { reason: 'incomplete_principal' };
    const checked = await checkSession(em, { sessionId: p.sessionId, userId: p.userId, accountId: p.accountId });
    return 'principal' in checked ? { principal: { ...checked.principal, expiresAt: p.expiresAt } } : checked;
  }
  if (!p.tokenId || !p.secretFingerprint) return { reason: 'incomplete_principal' };
  const found = await loadTokenByFingerprint(em, p.tokenId, p.accountId, p.secretFingerprint);
  if (!found || found.verified.ownerId !== p.userId) return { reason: 'unknown_token' };
  const reason = refusalOf(found.verified, undefined, clock.nowMs());
  return reason ? tokenRefusal(found.verified, reason) : { principal: buildTokenPrincipal(found.verified) };
}
