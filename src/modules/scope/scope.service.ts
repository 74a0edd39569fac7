import { DataSource, EntityManager, In } from 'typeorm';
import { Principal } from '../../auth/principal';
import { TokenCache } from '../../auth/token-cache';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { isRole, Role, roleAtLeast } from '../../common/roles';
import { optionalText } from '../../common/validation';
import { badInput, conflict, forbidden, notFound } from '../../errors';
import type { WithAuthority } from '../../auth/authority';
import type { Account } from '../account/account.entity';
import { recordAudit } from '../audit/audit';
import { ApiToken } from '../api-token/api-token.entity';
import { AccountScope, CreateScopeInput } from './account-scope.entity';
import type { RequestMeta } from '../../common/request-meta';

export const CATALOG_SCOPE_RE = /^[a-z][a-z0-9_-]*(:[a-z0-9_*-]+)*$/;
export const MAX_SCOPE_NAME = 64;
export const MAX_TOKEN_CATALOG_SCOPES = 20;
/** Role scopes and env:<name> are computed, never catalog entries. */
const RESERVED = new Set(['read', 'write', 'admin']);

export function validScopeName(field: string, raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > MAX_SCOPE_NAME || !CATALOG_SCOPE_RE.test(name)) {
    throw badInput(field, `"${raw}" must match ${CATALOG_SCOPE_RE.source} and be at most ${MAX_SCOPE_NAME} characters`);
  }
  if (RESERVED.has(name) || name === 'env' || name.startsWith('env:')) {
    throw badInput(field, `"${name}" is reserved: role scopes and env:<environment> are computed, not catalogued`);
  }
  return name;
}

/**
 * Which catalog scopes a new token may carry: each must be in the caller's
 * account catalog (else BAD_USER_INPUT naming it), the owner and the issuer's
 * effective role must both reach its minRole (else FORBIDDEN), so must the
 * new token's own role (else BAD_USER_INPUT: a READ_ONLY token asking for a
 * MEMBER scope contradicts itself), and a request authenticated by an API
 * token may only pass on catalog scopes that token itself carries.
 */
export async function resolveRequestedScopes(em: EntityManager, principal: Principal, ownerRole: Role, tokenRole: Role, requested: readonly string[] | null | undefined): Promise<string[]> {
  if (!requested || requested.length === 0) return [];
  const names = [...new Set(requested.map((s) => s.trim()))];
  if (names.length > MAX_TOKEN_CATALOG_SCOPES) throw badInput('scopes', `a token may carry at most ${MAX_TOKEN_CATALOG_SCOPES} catalog scopes`);
  for (const n of names) if (n.length === 0 || n.length > MAX_SCOPE_NAME || !CATALOG_SCOPE_RE.test(n)) throw badInput('scopes', `"${n}" is not a scope of this account's catalog`);
  const rows = await em.getRepository(AccountScope).find({ where: { accountId: principal.accountId, name: In(names) } });
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const n of names) {
    const scope = byName.get(n);
    if (!scope) throw badInput('scopes', `"${n}" is not a scope of this account's catalog`);
    if (!roleAtLeast(principal.role, scope.minRole)) {
      throw forbidden(`The scope "${n}" requires ${scope.minRole}; your effective role is ${principal.role}`);
    }
    if (!roleAtLeast(ownerRole, scope.minRole)) {
      throw forbidden(`The scope "${n}" requires ${scope.minRole}; the token's owner is ${ownerRole}`);
    }
    if (!roleAtLeast(tokenRole, scope.minRole)) {
      throw badInput('scopes', `"${n}" requires ${scope.minRole}; a ${tokenRole} token cannot carry it (ask for role ${scope.minRole} or higher, or drop the scope)`);
    }
    if (principal.via === 'apiToken' && !(principal.catalogScopes ?? []).includes(n)) {
      throw forbidden(`The scope "${n}" is not carried by the API token making this request`);
    }
  }
  return names;
}

/**
 * The catalog scopes a token still grants: those still in its account's catalog
 * whose minRole the token's effective role (the lower of its own role and its
 * owner's current role) reaches.
 */
export function grantedCatalogScopes(stored: readonly string[], catalog: ReadonlyMap<string, Role> | readonly Pick<AccountScope, 'name' | 'minRole'>[], effectiveRole: Role): string[] {
  const map = catalog instanceof Map ? catalog : new Map((catalog as readonly Pick<AccountScope, 'name' | 'minRole'>[]).map((s) => [s.name, s.minRole]));
  return stored.filter((name) => {
    const min = map.get(name);
    return min !== undefined && roleAtLeast(effectiveRole, min);
  });
}

/** The account catalog of custom scopes. OWNER and ADMIN manage it (permissions.ts); everyone of the account reads it. */
export class ScopeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly withAuthority: WithAuthority<Account>,
    private readonly cache: TokenCache,
  ) {}

  list(principal: Principal): Promise<AccountScope[]> {
    return this.dataSource.getRepository(AccountScope).find({ where: { accountId: principal.accountId }, order: { name: 'ASC' } });
  }

  async create(principal: Principal, input: CreateScopeInput, meta: RequestMeta): Promise<AccountScope> {
    const name = validScopeName('name', input.name ?? '');
    const description = optionalText('description', input.description, 1000);
    const minRole = input.minRole ?? Role.MEMBER;
    if (!isRole(minRole)) throw badInput('minRole', 'must be a role');
    const now = clock.now();
    // The account lock serialises catalog changes: the uniqueness check below is exact.
    const saved = await this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      const repo = em.getRepository(AccountScope);
      if (await repo.findOneBy({ accountId: principal.accountId, name })) {
        throw conflict("is already used by another scope of this account's catalog", 'name');
      }
      const row = await repo.save(repo.create({ id: newId(), accountId: actor.accountId, name, description, minRole, createdById: actor.userId, createdAt: now }));
      await recordAudit(em, {
        accountId: actor.accountId,
        action: 'scope.created',
        principal: actor,
        meta,
        targetType: 'account_scope',
        targetId: row.id,
        details: { name, minRole },
      });
      return row;
    });
    this.cache.invalidateAccount(principal.accountId);
    return saved;
  }

  async delete(principal: Principal, id: string, meta: RequestMeta): Promise<string> {
    await this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      const scope = await em.getRepository(AccountScope).findOneBy({ id, accountId: principal.accountId });
      if (!scope) throw notFound('Scope');
      // Strip it from the tokens that carry it, so a later scope of the same name is not granted to them.
      const carriers = await em
        .getRepository(ApiToken)
        .createQueryBuilder('t')
        .select(['t.id', 't.catalogScopes'])
        .where("t.accountId = :accountId AND t.catalogScopes LIKE :pattern ESCAPE '!'", {
          accountId: principal.accountId,
          pattern: `%${JSON.stringify(scope.name).replace(/[!%_]/g, (c) => '!' + c)}%`,
        })
        .getMany();
      for (const t of carriers) {
        const rest = t.catalogScopes.filter((s) => s !== scope.name);
        if (rest.length !== t.catalogScopes.length) {
          await em.getRepository(ApiToken).update({ id: t.id, accountId: principal.accountId }, { catalogScopes: rest });
        }
      }
      await em.getRepository(AccountScope).delete({ id: scope.id, accountId: principal.accountId });
      await recordAudit(em, {
        accountId: principal.accountId,
        action: 'scope.deleted',
        principal: actor,
        meta,
        targetType: 'account_scope',
        targetId: scope.id,
        details: { name: scope.name, minRole: scope.minRole, tokens: carriers.length },
      });
    });
    this.cache.invalidateAccount(principal.accountId);
    return id;
  }
}
