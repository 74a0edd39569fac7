import { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { clock, DAY_MS } from '../../common/clock';
import { newId } from '../../common/ids';
import { MAX_ALLOWED_CIDRS, suggestedRangeOf } from '../../common/cidr';
import { badInput } from '../../errors';
import { ApiTokenUsage } from './api-token-usage.entity';
import { ApiTokenUsageByIp, ApiTokenUsageDay } from './usage.types';

export const MAX_USAGE_DAYS = 366;

export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

export interface UsageIncrement {
  tokenId: string;
  accountId: string;
  environment: string | null;
  day: string;
  ip: string;
  requests: number;
}

/**
 * Upsert per (token, day, ip) inside the usage flush's transaction: the
 * unique key makes concurrent replicas add up instead of colliding.
 */
export async function upsertUsage(em: EntityManager, rows: UsageIncrement[]): Promise<void> {
  if (rows.length === 0) return;
  const mysql = em.connection.options.type === 'mysql' || em.connection.options.type === 'mariadb';
  const now = clock.now();
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const values = chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = chunk.flatMap((r) => [newId(), r.tokenId, r.accountId, r.day, r.environment, r.ip, Math.trunc(r.requests), now, now]);
    const conflict = mysql
      ? 'ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), updatedAt = VALUES(updatedAt)'
      : 'ON CONFLICT (tokenId, day, ip) DO UPDATE SET requests = requests + excluded.requests, updatedAt = excluded.updatedAt';
    const q = mysql ? '`' : '"';
    const cols = ['id', 'tokenId', 'accountId', 'day', 'environment', 'ip', 'requests', 'createdAt', 'updatedAt'].map((c) => q + c + q).join(', ');
    await em.query(`INSERT INTO ${q}api_token_usage${q} (${cols}) VALUES ${values} ${conflict}`, mysql ? params : params.map(sqliteValue));
  }
}

/** better-sqlite3 binds no Date: store it as TypeORM does, 'YYYY-MM-DD HH:MM:SS.SSS' UTC. */
function sqliteValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : v;
}

export class UsageService {
  constructor(private readonly dataSource: DataSource) {}

  /** Daily usage of a token the caller can already see (the parent field checked visibility), newest day first. */
  async history(principal: Principal, tokenId: string, days: number | null | undefined): Promise<ApiTokenUsageDay[]> {
    const n = days ?? 30;
    if (!Number.isInteger(n) || n < 1 || n > MAX_USAGE_DAYS) throw badInput('days', `must be between 1 and ${MAX_USAGE_DAYS}`);
    const since = utcDay(new Date(clock.nowMs() - (n - 1) * DAY_MS));
    const rows = await this.dataSource
      .getRepository(ApiTokenUsage)
      .createQueryBuilder('u')
      .where('u.tokenId = :tokenId AND u.accountId = :acc AND u.day >= :since', { tokenId, acc: principal.accountId, since })
      .orderBy('u.day', 'DESC')
      .addOrderBy('u.requests', 'DESC')
      .addOrderBy('u.ip', 'ASC')
      .getMany();
    const byDay = new Map<string, ApiTokenUsageDay>();
    for (const r of rows) {
      let day = byDay.get(r.day);
      if (!day) {
        day = Object.assign(new ApiTokenUsageDay(), { date: r.day, environment: r.environment, requests: 0, byIp: [] as ApiTokenUsageByIp[] });
        byDay.set(r.day, day);
      }
      day.requests += r.requests;
      day.byIp.push(Object.assign(new ApiTokenUsageByIp(), { ip: r.ip, requests: r.requests }));
    }
    return [...byDay.values()];
  }

  /**
   * The /24 (IPv4) or /64 (IPv6) ranges a token the caller can already see was used from, as recorded in
   * its usage history (kept USAGE_RETENTION_DAYS) and its last addresses: most requests first, at most 20
   * (an allowlist's size). One grouped query over the token's usage rows.
   */
  async suggestedCidrs(principal: Principal, token: { id: string; lastUsedIps?: string[] | null }): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(ApiTokenUsage)
      .createQueryBuilder('u')
      .select('u.ip', 'ip')
      .addSelect('SUM(u.requests)', 'requests')
      .where('u.tokenId = :tokenId AND u.accountId = :acc', { tokenId: token.id, acc: principal.accountId })
      .groupBy('u.ip')
      .getRawMany<{ ip: string; requests: number | string }>();
    const ranges = new Map<string, number>();
    const add = (ip: string, requests: number) => {
      const range = suggestedRangeOf(ip);
      if (range) ranges.set(range, (ranges.get(range) ?? 0) + requests);
    };
    for (const r of rows) add(r.ip, Number(r.requests));
    for (const ip of token.lastUsedIps ?? []) add(ip, 0);
    return [...ranges.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_ALLOWED_CIDRS)
      .map(([range]) => range);
  }

  /** Delete usage rows older than the retention window. Returns how many went. */
  async prune(retentionDays: number): Promise<number> {
    const cutoff = utcDay(new Date(clock.nowMs() - retentionDays * DAY_MS));
    const result = await this.dataSource.transaction((em) => em.createQueryBuilder().delete().from(ApiTokenUsage).where('day < :cutoff', { cutoff }).execute());
    return result.affected ?? 0;
  }
}
