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
