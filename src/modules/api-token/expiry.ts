import { DAY_MS } from '../../common/clock';
import { badInput } from '../../errors';
import { AccountPolicy } from '../account/account.entity';

export interface ExpiryRequest {
  expiresAt?: Date | null;
  neverExpires?: boolean | null;
}

/**
 * The expiry a new (or regenerated) token gets under the account's policy.
 * Returns null for "never expires", undefined when nothing was asked and
 * `keepWhenUnset` is set (regenerate keeps the current expiry).
 */
export function resolveExpiry(req: ExpiryRequest, policy: AccountPolicy, now: Date): Date | null;
export function resolveExpiry(req: ExpiryRequest, policy: AccountPolicy, now: Date, keepWhenUnset: true): Date | null | undefined;
export function resolveExpiry(req: ExpiryRequest, policy: AccountPolicy, now: Date, keepWhenUnset = false): Date | null | undefined {
  const max = policy.maxTokenLifetimeDays;
  const latest = max === null ? null : new Date(now.getTime() + max * DAY_MS);
  if (req.expiresAt && req.neverExpires) throw badInput('neverExpires', 'cannot be combined with expiresAt');
  if (req.neverExpires) {
    if (max !== null) throw badInput('neverExpires', `is not allowed: this account's tokens must expire within ${max} days`);
    return null;
  }
  if (req.expiresAt) {
    if (Number.isNaN(req.expiresAt.getTime())) throw badInput('expiresAt', 'is not a valid date-time');
    if (req.expiresAt.getTime() <= now.getTime()) throw badInput('expiresAt', 'must be in the future');
    if (latest && req.expiresAt.getTime() > latest.getTime()) {
      throw badInput('expiresAt', `must be within ${max} days (the account's maximum token lifetime)`);
    }
    return req.expiresAt;
  }
  if (keepWhenUnset) return undefined;
  if (policy.defaultTokenLifetimeDays === null) return latest; // null when unlimited: never expires
  const byDefault = new Date(now.getTime() + policy.defaultTokenLifetimeDays * DAY_MS);
  return latest && latest < byDefault ? latest : byDefault;
}

/**
 * When the scheduler first has to look at a token for expiry notices: its
 * expiry minus the account's largest threshold (thresholds already passed at
 * creation make that moment now or earlier, so the next pass sends the nearest
 * one). null = never (no expiry, or notices off).
 */
export function firstNoticeAt(expiresAt: Date | null, thresholds: number[]): Date | null {
  if (!expiresAt || thresholds.length === 0) return null;
  return new Date(expiresAt.getTime() - Math.max(...thresholds) * DAY_MS);
}

/** After a pass at `now` handled a token: the next threshold crossing still ahead, or null when the series is over. */
export function nextNoticeAfter(expiresAt: Date, thresholds: number[], now: Date): Date | null {
  const ahead = thresholds.map((t) => expiresAt.getTime() - t * DAY_MS).filter((ms) => ms > now.getTime());
  return ahead.length ? new Date(Math.min(...ahead)) : null;
}
