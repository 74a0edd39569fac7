import { EntityManager, In } from 'typeorm';
import { ApiToken } from './api-token.entity';

/** How many distinct addresses a token remembers (`lastUsedIps`). */
export const MAX_LAST_USED_IPS = 5;

/** Merge newly seen IPs (newest first) into a stored list, keeping the newest distinct five. */
export function mergeIps(newestFirst: string[], stored: string[]): string[] {
  const out: string[] = [];
  for (const ip of [...newestFirst, ...stored]) {
    if (ip && !out.includes(ip)) out.push(ip);
    if (out.length === MAX_LAST_USED_IPS) break;
  }
  return out;
}

/** Uses of one token gathered in memory since the last write. */
export interface TokenUses {
  count: number;
  /** Epoch milliseconds of the newest use. */
  lastUsedAt: number;
  /** Newest first, distinct. */
  ips: string[];
}

/**
 * Add coalesced uses to the tokens' counters (`useCount`, `lastUsedAt`, `lastUsedIps`): one read of
 * the tokens and one UPDATE per token, inside the caller's transaction. Returns the tokens that still
 * exist with their account and environment (for the daily usage history); uses of a token deleted
 * since are dropped.
 */
export async function addTokenUses(
  em: EntityManager,
  uses: ReadonlyMap<string, TokenUses>,
): Promise<Array<Pick<ApiToken, 'id' | 'accountId' | 'environment'>>> {
  const rows = await em.find(ApiToken, {
    where: { id: In([...uses.keys()]) },
    select: { id: true, accountId: true, environment: true, lastUsedIps: true, lastUsedAt: true },
  });
  for (const row of rows) {
    const p = uses.get(row.id)!;
    const lastUsedAt = row.lastUsedAt && row.lastUsedAt.getTime() > p.lastUsedAt ? row.lastUsedAt : new Date(p.lastUsedAt);
    await em
      .createQueryBuilder()
      .update(ApiToken)
      .set({ useCount: () => `useCount + ${Math.trunc(p.count)}`, lastUsedAt, lastUsedIps: mergeIps(p.ips, row.lastUsedIps) })
      .where('id = :id', { id: row.id })
      .updateEntity(false)
      .execute();
  }
  return rows;
}
