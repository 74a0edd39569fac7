import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import type { Principal } from '../auth/principal';
import { isAdminRole } from '../common/roles';
import { Account } from '../modules/account/account.entity';
import { ApiToken } from '../modules/api-token/api-token.entity';
import { User } from '../modules/user/user.entity';
import { AccountScope } from '../modules/scope/account-scope.entity';

export interface Loaders {
  /** Users of the caller's account by id; a foreign id loads null. */
  user: DataLoader<string, User | null>;
  account: DataLoader<string, Account | null>;
  /** Tokens the caller may see (their account; for non-admins, owned or issued by them). */
  apiToken: DataLoader<string, ApiToken | null>;
  /** The scope catalog of the caller's account, keyed by account id (another account loads an empty list). */
  accountScopes: DataLoader<string, AccountScope[]>;
}

function byId<T extends { id: string }>(keys: readonly string[], rows: T[]): Array<T | null> {
  const map = new Map(rows.map((r) => [r.id, r]));
  return keys.map((k) => map.get(k) ?? null);
}

/**
 * One loader set per request. Every batch is scoped to the caller's account
 * (and, for tokens, visibility) in the SQL itself, so a batch can never return
 * another tenant's rows. Anonymous requests load null for every key. Each
 * loader is made when the request first uses it: most requests touch one.
 */
export function createLoaders(dataSource: DataSource, principal: Principal | null): Loaders {
  return new RequestLoaders(dataSource, principal);
}

class RequestLoaders implements Loaders {
  private userLoader?: DataLoader<string, User | null>;
  private accountLoader?: DataLoader<string, Account | null>;
  private apiTokenLoader?: DataLoader<string, ApiToken | null>;
  private accountScopesLoader?: DataLoader<string, AccountScope[]>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly principal: Principal | null,
  ) {}

  get user(): DataLoader<string, User | null> {
    if (this.userLoader) return this.userLoader;
    const { dataSource, principal } = this;
    const accountId = principal?.accountId;
    const loader = new DataLoader<string, User | null>(async (ids) => {
      if (!accountId) return ids.map(() => null);
      const rows = await dataSource.getRepository(User).find({ where: { id: In([...ids]), accountId } });
      return byId(ids, rows);
    });
    // The caller's own row was read while authenticating: `me` and self-references need no query.
    const own = principal?.user;
    if (own && own.accountId === accountId) loader.prime(own.id, Object.assign(new User(), own));
    return (this.userLoader = loader);
  }

  get account(): DataLoader<string, Account | null> {
    const { dataSource } = this;
    const accountId = this.principal?.accountId;
    return (this.accountLoader ??= new DataLoader<string, Account | null>(async (ids) => {
      if (!accountId) return ids.map(() => null);
      const rows = ids.includes(accountId) ? await dataSource.getRepository(Account).find({ where: { id: accountId } }) : [];
      return byId(ids, rows);
    }));
  }

  get apiToken(): DataLoader<string, ApiToken | null> {
    const { dataSource, principal } = this;
    return (this.apiTokenLoader ??= new DataLoader<string, ApiToken | null>(async (ids) => {
      if (!principal) return ids.map(() => null);
      const qb = dataSource
        .getRepository(ApiToken)
        .createQueryBuilder('t')
        .where('t.id IN (:...ids) AND t.accountId = :accountId', { ids: [...ids], accountId: principal.accountId });
      if (!isAdminRole(principal.role)) qb.andWhere('(t.ownerId = :me OR t.createdById = :me)', { me: principal.userId });
      return byId(ids, await qb.getMany());
    }));
  }

  get accountScopes(): DataLoader<string, AccountScope[]> {
    const { dataSource } = this;
    const accountId = this.principal?.accountId;
    return (this.accountScopesLoader ??= new DataLoader<string, AccountScope[]>(async (ids) => {
      if (!accountId || !ids.includes(accountId)) return ids.map(() => []);
      const rows = await dataSource.getRepository(AccountScope).find({ where: { accountId } });
      return ids.map((id) => (id === accountId ? rows : []));
    }));
  }
}
