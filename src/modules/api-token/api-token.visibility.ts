import type { WhereExpressionBuilder } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { isAdminRole } from '../../common/roles';

/**
 * Which API tokens a principal may see: the one rule, applied in SQL by the
 * service (apiToken, apiTokens, every change by id), the request's loader and
 * so the `_entities` reference resolver. OWNER and ADMIN see every token of
 * their account; everyone else the tokens they own or issued. Another
 * account's token, or one outside this scope, is never read: it does not exist.
 *
 * Adds its conditions with AND to whatever `qb` already has (or as its first
 * condition); `alias` is the query builder's alias for api_token.
 */
export function visibleApiTokens<Q extends WhereExpressionBuilder>(qb: Q, principal: Principal, alias: string): Q {
  qb.andWhere(`${alias}.accountId = :visibleAccountId`, { visibleAccountId: principal.accountId });
  if (!isAdminRole(principal.role)) {
    qb.andWhere(`(${alias}.ownerId = :visibleTo OR ${alias}.createdById = :visibleTo)`, { visibleTo: principal.userId });
  }
  return qb;
}
