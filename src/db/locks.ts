import { DataSource, EntityManager } from 'typeorm';
import { Account } from '../modules/account/account.entity';

/** MySQL and MariaDB take row locks (SELECT … FOR UPDATE); on SQLite, transactions are queued instead (serializeSqliteTransactions). */
export function supportsRowLocks(db: EntityManager | DataSource): boolean {
  const type = (db instanceof DataSource ? db : db.connection).options.type;
  return type === 'mysql' || type === 'mariadb';
}

/**
 * Lock the account row for the rest of the transaction (SELECT … FOR UPDATE on
 * MySQL). Every write that must see a consistent count of an account's tokens
 * or owners takes this lock first, so concurrent requests queue instead of
 * racing. On SQLite, serializeSqliteTransactions() queues transactions, which gives the same guarantee.
 */
export async function lockAccount(em: EntityManager, accountId: string): Promise<Account | null> {
  const qb = em.getRepository(Account).createQueryBuilder('a').where('a.id = :accountId', { accountId });
  if (supportsRowLocks(em)) qb.setLock('pessimistic_write');
  return qb.getOne();
}
