import { Role } from '../common/roles';

/**
 * OAuth-style scopes derived from roles (no database state). The gateway
 * enforces `@requiresScopes` with them and forwards them to every subgraph in
 * the signed identity.
 *
 *   READ_ONLY → read
 *   MEMBER    → read write
 *   ADMIN     → read write admin
 *   OWNER     → read write admin
 *   environment "production" adds env:production
 *
 * `extra` is where a per-account scope catalog plugs in later: its scopes are
 * appended (deduplicated, order kept) without changing the role mapping.
 */
export const ROLE_SCOPES: Readonly<Record<Role, readonly string[]>> = Object.freeze({
  [Role.READ_ONLY]: Object.freeze(['read']),
  [Role.MEMBER]: Object.freeze(['read', 'write']),
  [Role.ADMIN]: Object.freeze(['read', 'write', 'admin']),
  [Role.OWNER]: Object.freeze(['read', 'write', 'admin']),
});

/** A scope is a non-empty run of printable, non-space ASCII (RFC 6749 §3.3 scope-token). */
export const SCOPE_RE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const envScope = (environment: string): string => `env:${environment}`;

export function scopesFor(role: Role, environment?: string | null, extra: readonly string[] = []): string[] {
  const scopes = [...(ROLE_SCOPES[role] ?? [])];
  if (environment) scopes.push(envScope(environment));
  for (const s of extra) if (SCOPE_RE.test(s)) scopes.push(s);
  return [...new Set(scopes)];
}
