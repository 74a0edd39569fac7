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

/** Tokens per UPDATE statement in addTokenUses: 4 parameters each, well inside every driver's limit. */
export const USES_PER_STATEMENT = 500;

/**
 * Add coalesced uses to the tokens' counters (`useCount`, `lastUsedAt`, `lastUsedIps`): one read of
 * the tokens, then one multi-row UPDATE per USES_PER_STATEMENT tokens (`CASE id WHEN … THEN … END`,
 * which MySQL, MariaDB and SQLite all run), inside the caller's transaction. One statement per token
 * made a flush of 7,000 tokens take 9 s (bench/RESULTS.md). Returns the tokens that still exist with
 * their account and environment (for the daily usage history); uses of a token deleted since are dropped.
 */
export async function addTokenUses(
  em: EntityManager,
  uses: ReadonlyMap<string, TokenUses>,
): Promise<Array<Pick<ApiToken, 'id' | 'accountId' | 'environment'>>> {
  const ids = [...uses.keys()];
  const rows: ApiToken[] = [];
  for (let i = 0; i < ids.length; i += USES_PER_STATEMENT) {
    rows.push(
      ...(await em.find(ApiToken, {
        where: { id: In(ids.slice(i, i + USES_PER_STATEMENT)) },
        select: { id: true, accountId: true, environment: true, lastUsedIps: true, lastUsedAt: true },
      })),
    );
  }
  const mysql = em.connection.options.type === 'mysql' || em.connection.options.type === 'mariadb';
  const q = mysql ? '`' : '"';
  const column = (c: string) => q + c + q;
  for (let i = 0; i < rows.length; i += USES_PER_STATEMENT) {
    const chunk = rows.slice(i, i + USES_PER_STATEMENT);
    const counts: unknown[] = [];
    const times: unknown[] = [];
    const ips: unknown[] = [];
    for (const row of chunk) {
      const p = uses.get(row.id)!;
      const lastUsedAt = row.lastUsedAt && row.lastUsedAt.getTime() > p.lastUsedAt ? row.lastUsedAt : new Date(p.lastUsedAt);
      counts.push(row.id, Math.trunc(p.count));
      times.push(row.id, mysql ? lastUsedAt : sqliteDate(lastUsedAt));
      ips.push(row.id, JSON.stringify(mergeIps(p.ips, row.lastUsedIps)));
    }
    const cases = ' WHEN ? THEN ?'.repeat(chunk.length);
    await em.query(
      `UPDATE ${column('api_token')} SET ${column('useCount')} = ${column('useCount')} + CASE ${column('id')}${cases} END, ` +
        `${column('lastUsedAt')} = CASE ${column('id')}${cases} END, ${column('lastUsedIps')} = CASE ${column('id')}${cases} END ` +
        `WHERE ${column('id')} IN (${chunk.map(() => '?').join(', ')})`,
      [...counts, ...times, ...ips, ...chunk.map((r) => r.id)],
    );
  }
  return rows;
}

/** better-sqlite3 binds no Date: stored as TypeORM does, 'YYYY-MM-DD HH:MM:SS.SSS' UTC. */
function sqliteDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
