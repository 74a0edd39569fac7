import { DataSource, EntityManager, LessThan } from 'typeorm';
import { clock } from '../../common/clock';
import { sha256 } from '../../common/sha256';
import { supportsRowLocks } from '../../db/locks';
import { AppError } from '../../errors';
import { Throttle } from './throttle.entity';

export interface ThrottlePolicy {
  /** Failures tolerated in a window before locking. */
  freeFailures: number;
  /** Counting window; a quiet window resets the count. */
  windowMs: number;
  /** First lock; each further failure doubles it (exponential backoff). */
  baseLockMs: number;
  maxLockMs: number;
}

export const POLICIES = {
  /** Per e-mail address: 5 free tries, then 1 s, 2 s, 4 s … up to 15 minutes. */
  loginPerAccount: { freeFailures: 5, windowMs: 15 * 60_000, baseLockMs: 1000, maxLockMs: 15 * 60_000 },
  /** Per client IP across all addresses (credential stuffing). */
  loginPerIp: { freeFailures: 30, windowMs: 15 * 60_000, baseLockMs: 1000, maxLockMs: 15 * 60_000 },
  /** Per client IP: well-formed but invalid API tokens presented (malformed ones cost nothing to refuse). */
  tokenPerIp: { freeFailures: 50, windowMs: 5 * 60_000, baseLockMs: 1000, maxLockMs: 5 * 60_000 },
  /**
   * Per client IP: signUp and createUser refused because the e-mail address is taken (each refusal says the
   * address is registered somewhere). 10 in an hour, then 1 min, 2 min … up to an hour.
   */
  emailConflictPerIp: { freeFailures: 10, windowMs: 60 * 60_000, baseLockMs: 60_000, maxLockMs: 60 * 60_000 },
  /** Per signed-in caller: createUser refused for a taken address, wherever they call from. */
  emailConflictPerActor: { freeFailures: 10, windowMs: 60 * 60_000, baseLockMs: 60_000, maxLockMs: 60 * 60_000 },
} satisfies Record<string, ThrottlePolicy>;

/** Leak reports per client IP: every report counts, `perMinute` free in a minute, then short locks. */
export const leakReportPolicy = (perMinute: number): ThrottlePolicy => ({ freeFailures: perMinute, windowMs: 60_000, baseLockMs: 1000, maxLockMs: 60_000 });

export const throttleKey = (kind: string, value: string): string => `${kind}:${sha256(value.toLowerCase()).slice(0, 40)}`;

/** Lock length after `failures` failures under `policy` (0 while still free). */
export function lockMsFor(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  return Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** Math.min(over - 1, 30));
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}

/**
 * Database-backed failure counters with exponential backoff. `assertOpen`
 * refuses while a key is locked; `fail` counts a failure (row-locked on MySQL,
 * queued on SQLite) and locks when the free failures are used up; `succeed`
 * forgets a key. Messages never say whether an e-mail address exists.
 */
export class ThrottleService {
  constructor(private readonly dataSource: DataSource) {}

  async assertOpen(keys: string[], message: string): Promise<void> {
    const now = clock.nowMs();
    const rows = await this.dataSource.getRepository(Throttle).findBy(keys.map((key) => ({ key })));
    const until = Math.max(0, ...rows.map((r) => (r.lockedUntil ? r.lockedUntil.getTime() : 0)));
    if (until > now) throw new RateLimitedError(message, Math.ceil((until - now) / 1000));
  }

  /**
   * Count a failure for each key; resolves with the latest lock now in force (ms since epoch), or 0.
   *
   * Every key's row is made to exist first, each in its own statement (INSERT IGNORE, committed at once), so
   * the transaction then locks existing rows only, in key order. A locking read of a missing row would take a
   * gap lock on MySQL, and two failures inserting into the same gap (a crowd of sign-ins from one IP) deadlock.
   */
  async fail(entries: Array<{ key: string; policy: ThrottlePolicy }>): Promise<number> {
    const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const now = clock.now();
    for (const { key } of sorted) {
      await this.dataSource.createQueryBuilder().insert().into(Throttle).values({ key, failures: 0, windowStart: now, lockedUntil: null }).orIgnore().execute();
    }
    return this.dataSource.transaction(async (em) => {
      let until = 0;
      for (const { key, policy } of sorted) until = Math.max(until, await this.failOne(em, key, policy));
      return until;
    });
  }

  private async failOne(em: EntityManager, key: string, policy: ThrottlePolicy): Promise<number> {
    const now = clock.now();
    const repo = em.getRepository(Throttle);
    const qb = repo.createQueryBuilder('t').where('t.key = :key', { key });
    if (supportsRowLocks(em)) qb.setLock('pessimistic_write');
    const row = await qb.getOne();
    // Only `prune` deletes rows, and only those whose window ended a day ago: never one just inserted.
    if (!row) throw new Error('a throttle counter vanished between its insert and its update');
    const windowOver = now.getTime() - row.windowStart.getTime() > policy.windowMs;
    const failures = windowOver ? 1 : row.failures + 1;
    const lockMs = lockMsFor(failures, policy);
    const lockedUntil = lockMs > 0 ? new Date(now.getTime() + lockMs) : row.lockedUntil;
    await repo.update({ key }, { failures, windowStart: windowOver ? now : row.windowStart, lockedUntil });
    return lockedUntil && lockedUntil.getTime() > now.getTime() ? lockedUntil.getTime() : 0;
  }

  /**
   * Forget a key's failures. The counter is reset rather than deleted, so a failure counted at the same moment
   * always finds the row it has just made sure exists (`prune` removes idle counters later).
   */
  async succeed(key: string): Promise<void> {
    await this.dataSource.getRepository(Throttle).update({ key }, { failures: 0, windowStart: clock.now(), lockedUntil: null });
  }

  /** Drop counters whose window and lock are long over (called by housekeeping). */
  async prune(olderThanMs = 24 * 60 * 60_000): Promise<number> {
    const cutoff = new Date(clock.nowMs() - olderThanMs);
    const res = await this.dataSource.transaction((em) => em.getRepository(Throttle).delete({ windowStart: LessThan(cutoff) }));
    return res.affected ?? 0;
  }
}
