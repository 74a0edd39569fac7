import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { clientAddress } from '../common/client-address';
import { DAY_MS } from '../common/clock';
import { addTokenUses, mergeIps, TokenUses } from '../modules/api-token/api-token.uses';
import { upsertUsage, UsageIncrement, utcDay } from '../modules/usage/usage.service';

interface Pending extends TokenUses {
  /** Requests per "YYYY-MM-DD|ip" (ip '' when unknown), for the daily usage history. */
  buckets: Map<string, number>;
}

function addBuckets(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, n] of from) into.set(k, (into.get(k) ?? 0) + n);
}

/**
 * Coalesces token usage in memory and writes it in one transaction per flush
 * (every USAGE_FLUSH_INTERVAL_MS): at most one UPDATE per token per interval,
 * never one per request. A crash loses at most one interval of counts.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** The UTC day of the last record() and where it ends: toISOString() once per day, not per request. */
  private day = { label: '', startMs: 0, endMs: 0 };

  /** One use of a token at `atMs` (epoch milliseconds) from `ip`: memory only, written by the next flush. */
  record(tokenId: string, atMs: number, ip: string | undefined): void {
    let p = this.pending.get(tokenId);
    if (!p) {
      p = { count: 0, lastUsedAt: atMs, ips: [], buckets: new Map() };
      this.pending.set(tokenId, p);
    }
    p.count += 1;
    if (atMs > p.lastUsedAt) p.lastUsedAt = atMs;
    // The address this token used last was validated then: the usual case skips isIP().
    const address = ip !== undefined && ip === p.ips[0] ? ip : clientAddress(ip);
    if (address && p.ips[0] !== address) p.ips = mergeIps([address], p.ips);
    const bucket = `${this.dayOf(atMs)}|${address ?? ''}`;
    p.buckets.set(bucket, (p.buckets.get(bucket) ?? 0) + 1);
  }

  private dayOf(ms: number): string {
    const d = this.day;
    if (ms < d.startMs || ms >= d.endMs) {
      d.startMs = ms - (ms % DAY_MS);
      d.endMs = d.startMs + DAY_MS;
      d.label = utcDay(new Date(ms));
    }
    return d.label;
  }

  get pendingTokens(): number {
    return this.pending.size;
  }

  /** Write everything pending. Concurrent calls share one flush. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.pending.size === 0 || !this.dataSource.isInitialized) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch)
      .catch((err) => {
        // Put the counts back so the next flush retries them.
        for (const [id, p] of batch) {
          const cur = this.pending.get(id);
          if (!cur) this.pending.set(id, p);
          else {
            cur.count += p.count;
            if (p.lastUsedAt > cur.lastUsedAt) cur.lastUsedAt = p.lastUsedAt;
            cur.ips = mergeIps(cur.ips, p.ips);
            addBuckets(cur.buckets, p.buckets);
          }
        }
        this.logger.warn({ err, tokens: batch.size }, 'usage flush failed; will retry');
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(batch: Map<string, Pending>): Promise<void> {
    const started = performance.now();
    await this.dataSource.transaction(async (em) => {
      const tokens = await addTokenUses(em, batch);
      const history: UsageIncrement[] = [];
      for (const token of tokens) {
        for (const [key, requests] of batch.get(token.id)!.buckets) {
          const [day, ip] = key.split('|');
          history.push({ tokenId: token.id, accountId: token.accountId, environment: token.environment, day, ip, requests });
        }
      }
      // The daily history rides in the same transaction: one upsert per (token, day, ip), never one write per request.
      await upsertUsage(em, history);
    });
    // bench/scale.mjs reads this line (LOG_LEVEL=debug) for the time one flush takes.
    this.logger.debug({ tokens: batch.size, ms: Math.round(performance.now() - started) }, 'usage flushed');
  }
}
