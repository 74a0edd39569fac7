import type { Context } from '../context';
import { isAdminRole } from '../common/roles';
import type { Account } from '../modules/account/account.entity';
import type { ApiToken } from '../modules/api-token/api-token.entity';
import type { User } from '../modules/user/user.entity';

type Ref = { id?: unknown };
const idOf = (ref: Ref): string | null => (typeof ref?.id === 'string' ? ref.id : null);

/**
 * Entity reference resolvers for `_entities`. They apply exactly the
 * visibility of the root queries, batched through the request's loaders, so
 * federation can never reach what `me`, `users`, `account` and `apiToken`
 * would not show: a foreign or invisible id resolves to null.
 */
export const referenceResolvers = {
  User: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<User | null> {
      const id = idOf(ref);
      const p = ctx.principal;
      if (!id || !p) return null;
      // users(): admins see the whole account, everyone else only themselves.
      if (!isAdminRole(p.role) && id !== p.userId) return null;
      return ctx.loaders.user.load(id);
    },
  },
  Account: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<Account | null> {
      const id = idOf(ref);
      if (!id || !ctx.principal || id !== ctx.principal.accountId) return null;
      return ctx.loaders.account.load(id);
    },
  },
  ApiToken: {
    async __resolveReference(ref: Ref, ctx: Context): Promise<ApiToken | null> {
      const id = idOf(ref);
      if (!id || !ctx.principal) return null;
      return ctx.loaders.apiToken.load(id);
    },
  },
};
