import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import type { Principal } from '../auth/principal';
import { Account } from '../modules/account/account.entity';
import { ApiToken } from '../modules/api-token/api-token.entity';
import { User } from '../modules/user/user.entity';
import { visibleUsers } from '../modules/user/user.visibility';
import { visibleApiTokens } from '../modules/api-token/api-token.visibility';
import { AccountScope } from '../modules/scope/account-scope.entity';

export interface Loaders {
  /** Users of the caller's account by id (a visible token's owner and issuer); a foreign id loads null. */
  user: DataLoader<string, User | null>;
  /** Users the caller may look up by id (user.visibility.ts: admins the account, others themselves); others load null. */
  visibleUser: DataLoader<string, User | null>;
  account: DataLoader<string, Account | null>;
  /** Tokens the caller may see (api-token.visibility.ts); others load null. */
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
  private visibleUserLoader?: DataLoader<string, User | null>;
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

  get visibleUser(): DataLoader<string, User | null> {
    const { dataSource, principal } = this;
    if (this.visibleUserLoader) return this.visibleUserLoader;
    const loader = new DataLoader<string, User | null>(async (ids) => {
      if (!principal) return ids.map(() => null);
      const qb = dataSource
        .getRepository(User)
        .createQueryBuilder('u')
        .where('u.id IN (:...ids)', { ids: [...ids] });
      return byId(ids, await visibleUsers(qb, principal, 'u').getMany());
    });
    // Everyone may see themselves: the row read while authenticating answers without a query.
    const own = principal?.user;
    if (own && own.accountId === principal.accountId) loader.prime(own.id, Object.assign(new User(), own));
    return (this.visibleUserLoader = loader);
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
        .where('t.id IN (:...ids)', { ids: [...ids] });
      return byId(ids, await visibleApiTokens(qb, principal, 't').getMany());
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
