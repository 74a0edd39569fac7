import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { Account } from '../modules/account/account.entity';
import { User } from '../modules/user/user.entity';

export interface Loaders {
  /** Users of the caller's account by id; a foreign id loads null. */
  user: DataLoader<string, User | null>;
  account: DataLoader<string, Account | null>;
}

function byId<T extends { id: string }>(keys: readonly string[], rows: T[]): Array<T | null> {
  const map = new Map(rows.map((r) => [r.id, r]));
  return keys.map((k) => map.get(k) ?? null);
}

/**
 * One loader set per request. Every batch is scoped to the caller's account in
 * the SQL itself, so a batch can never return another tenant's rows. Without
 * an account (anonymous requests) every key loads null.
 */
export function createLoaders(dataSource: DataSource, accountId: string | undefined): Loaders {
  return {
    user: new DataLoader<string, User | null>(async (ids) => {
      if (!accountId) return ids.map(() => null);
      const rows = await dataSource.getRepository(User).find({ where: { id: In([...ids]), accountId } });
      return byId(ids, rows);
    }),
    account: new DataLoader<string, Account | null>(async (ids) => {
      if (!accountId) return ids.map(() => null);
      const wanted = ids.filter((id) => id === accountId);
      const rows = wanted.length ? await dataSource.getRepository(Account).find({ where: { id: accountId } }) : [];
      return byId(ids, rows);
    }),
  };
}
