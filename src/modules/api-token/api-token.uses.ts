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
 * the tokens, then one multi-row UPDATE per USES_PER_STATEMENT tokens (on MySQL/MariaDB a join with the
 * chunk as a derived table; on SQLite `CASE id WHEN … THEN … END`), inside the caller's transaction. One statement per token
 * made a flush of 7,000 tokens take 9 s (bench/RESULTS.md). Returns the tokens that still exist with
 * their account and environment (for the daily usage history); uses of a token deleted since are dropped.
 */
export async function addTokenUses(em: EntityManager, uses: ReadonlyMap<string, TokenUses>): Promise<Array<Pick<ApiToken, 'id' | 'accountId' | 'environment'>>> {
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
  for (let i = 0; i < rows.length; i += USES_PER_STATEMENT) {
    const chunk = rows.slice(i, i + USES_PER_STATEMENT).map((row) => {
      const p = uses.get(row.id)!;
      const lastUsedAt = row.lastUsedAt && row.lastUsedAt.getTime() > p.lastUsedAt ? row.lastUsedAt : new Date(p.lastUsedAt);
      return { id: row.id, count: Math.trunc(p.count), lastUsedAt, ips: JSON.stringify(mergeIps(p.ips, row.lastUsedIps)) };
    });
    if (mysql) {
      // A join with the chunk as a derived table: each token found by its primary key. (CASE id WHEN ... with
      // 500 branches compares every row with every id in the collation: 1.9 s for 7,500 tokens, against 0.8 s.)
      const values = chunk.map((_, j) => (j === 0 ? 'SELECT ? AS id, ? AS n, ? AS at, ? AS ips' : 'SELECT ?, ?, ?, ?')).join(' UNION ALL ');
      await em.query(
        `UPDATE \`api_token\` t JOIN (${values}) v ON t.\`id\` = v.id SET t.\`useCount\` = t.\`useCount\` + v.n, t.\`lastUsedAt\` = v.at, t.\`lastUsedIps\` = v.ips`,
        chunk.flatMap((u) => [u.id, u.count, u.lastUsedAt, u.ips]),
      );
    } else {
      const cases = ' WHEN ? THEN ?'.repeat(chunk.length);
      await em.query(
        `UPDATE "api_token" SET "useCount" = "useCount" + CASE "id"${cases} END, "lastUsedAt" = CASE "id"${cases} END, "lastUsedIps" = CASE "id"${cases} END ` +
          `WHERE "id" IN (${chunk.map(() => '?').join(', ')})`,
        [...chunk.flatMap((u) => [u.id, u.count]), ...chunk.flatMap((u) => [u.id, sqliteDate(u.lastUsedAt)]), ...chunk.flatMap((u) => [u.id, u.ips]), ...chunk.map((u) => u.id)],
      );
    }
  }
  return rows;
}

/** better-sqlite3 binds no Date: stored as TypeORM does, 'YYYY-MM-DD HH:MM:SS.SSS' UTC. */
function sqliteDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
