import type { WhereExpressionBuilder } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { isAdminRole } from '../../common/roles';

/**
 * Which users a principal may look up: the one rule, applied in SQL by
 * `users` (UserService.list), the request's `visibleUser` loader and so the
 * `_entities` reference resolver. OWNER and ADMIN see every user of their
 * account; everyone else only themselves. (A user named by a visible token,
 * as its owner or issuer, is read through the account-scoped `user` loader:
 * which fields of that user show is the permission map's isSelfOrAdmin.)
 *
 * Adds its conditions with AND to whatever `qb` already has (or as its first
 * condition); `alias` is the query builder's alias for user.
 */
export function visibleUsers<Q extends WhereExpressionBuilder>(qb: Q, principal: Principal, alias: string): Q {
  qb.andWhere(`${alias}.accountId = :visibleAccountId`, { visibleAccountId: principal.accountId });
  if (!isAdminRole(principal.role)) qb.andWhere(`${alias}.id = :visibleSelf`, { visibleSelf: principal.userId });
  return qb;
}
