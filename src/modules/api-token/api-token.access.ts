import { normaliseAllowedCidrs } from '../../common/cidr';
import { isAdminRole } from '../../common/roles';
import { badInput, forbidden } from '../../errors';
import type { Principal } from '../../auth/principal';

/*
 * Where and how often a token may be used: its IP allowlist and its own
 * rate limit at the gateway. Validation for createApiToken and updateApiToken
 * (the `allowedCidrs` and `rateLimitPerMinute` fields of both inputs).
 */

export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;

/** An allowlist from an input: undefined or null = not given; otherwise canonical ranges (empty = from anywhere). */
export function allowedCidrsInput(field: string, value: readonly string[] | null | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return normaliseAllowedCidrs(field, value);
}

/** A per-token limit from an input: undefined = not given, null = the gateway's default, else 1 to 1,000,000. */
export function rateLimitInput(field: string, value: number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Number.isInteger(value) || value < 1 || value > MAX_RATE_LIMIT_PER_MINUTE) {
    throw badInput(field, `must be a whole number of requests per minute from 1 to ${MAX_RATE_LIMIT_PER_MINUTE}, or null for the gateway's default`);
  }
  return value;
}

/** The limit a token has now, as a number (Infinity when none applies: no own limit and the default is off). */
const effectiveLimit = (own: number | null, defaultLimit: number): number => own ?? (defaultLimit > 0 ? defaultLimit : Infinity);

/**
 * OWNER and ADMIN set any limit (or clear it) on any token of their account; everyone else may only lower
 * the limit of a token of theirs: to a number no higher than what applies now (the token's own limit, or the
 * gateway's default `GATEWAY_RATE_LIMIT_PER_TOKEN` when it has none).
 */
export function assertMaySetRateLimit(actor: Principal, requested: number | null, current: number | null, defaultLimit: number): void {
  if (isAdminRole(actor.role)) return;
  const now = effectiveLimit(current, defaultLimit);
  if (effectiveLimit(requested, defaultLimit) > now) {
    throw forbidden(`Only OWNER and ADMIN may raise a token's rate limit; you may lower it (now ${Number.isFinite(now) ? `${now} per minute` : 'unlimited'})`);
  }
}
