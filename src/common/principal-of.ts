import type { Principal } from '../auth/principal';
import type { Context } from '../context';
import { unauthenticated } from '../errors';

/**
 * The caller, for resolvers behind an authenticated rule (defence in depth if a rule is ever misconfigured).
 * The one `principalOf`: a request's headers become a principal in verification/request-principal.ts
 * (`requestPrincipal`), a verified token one in credential-state.ts (`buildTokenPrincipal`).
 */
export function principalOf(ctx: Context): Principal {
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}
