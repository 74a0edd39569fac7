import { EntityManager, In } from 'typeorm';
import { AccountScope } from './account-scope.entity';

/** The catalog entries of an account among `names` (those removed since are simply absent), with their minRole. */
export async function findCatalogScopes(em: EntityManager, accountId: string, names: readonly string[]): Promise<Array<Pick<AccountScope, 'name' | 'minRole'>>> {
  if (!names.length) return [];
  return em.getRepository(AccountScope).find({ select: { name: true, minRole: true }, where: { accountId, name: In([...names]) } });
}
