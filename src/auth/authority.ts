import type { EntityManager } from 'typeorm';
import type { RequestMeta } from '../common/request-meta';
import type { Principal } from './principal';

/** What a change needs of its caller, as the permission map's `writer` and `adminWriter` rules. */
export type Authority = 'writer' | 'admin';

/**
 * Run a change that rests on the caller's authority (role and status changes,
 * account policy, token creation, regeneration, revocation and deletion, the
 * scope catalog, webhooks) in one transaction that first locks the account row,
 * then reads the caller again and decides with those values: `work` gets the
 * caller as they are now, not as they were when the request was authenticated.
 *
 * The modules receive it from the composition root (src/services.ts); the
 * verification layer implements it (src/verification/authority.ts), because
 * re-reading a caller means reading tokens, sessions and users, which the
 * modules own. `TAccount` is the locked account row (the account module's entity). `meta` is the
 * request's, for the audit event of a caller refused on the re-read.
 */
export type WithAuthority<TAccount> = <T>(
  principal: Principal,
  meta: RequestMeta,
  need: Authority,
  work: (em: EntityManager, actor: Principal, account: TAccount) => Promise<T>,
) => Promise<T>;
