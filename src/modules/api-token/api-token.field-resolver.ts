import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { scopesFor } from '../../authz/scopes';
import { clock } from '../../common/clock';
import { minRole } from '../../common/roles';
import { notFound } from '../../errors';
import { User } from '../user/user.entity';
import { ApiToken, tokenStatus, TokenStatus } from './api-token.entity';
import { isExpiringSoon } from './api-token.service';
import { grantedCatalogScopes } from '../scope/scope.service';

/** Derived fields and the users a token references, batched through the request's loaders. */
@Resolver(() => ApiToken)
export class ApiTokenFieldResolver {
  @FieldResolver(() => TokenStatus, { description: 'EXPIRED is derived from expiresAt at read time' })
  status(@Root() token: ApiToken): TokenStatus {
    return tokenStatus(token, clock.now());
  }

  @FieldResolver(() => Boolean, { description: 'ACTIVE and expires within 7 days' })
  expiringSoon(@Root() token: ApiToken): boolean {
    return isExpiringSoon(token, clock.now());
  }

  @FieldResolver(() => [String], {
    description:
      "Scopes the token grants: those of its role (READ_ONLY: read; MEMBER: read write; ADMIN, OWNER: read write admin) plus env:<environment>, plus the account-catalog scopes it carries that are still in the catalog and whose minRole its effective role (the lower of its role and the owner's current role) reaches. At request time the role is capped by the owner's current role.",
  })
  async scopes(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<string[]> {
    const carried = token.catalogScopes ?? [];
    if (carried.length === 0) return scopesFor(token.role, token.environment);
    const [catalog, owner] = await Promise.all([ctx.loaders.accountScopes.load(token.accountId), ctx.loaders.user.load(token.ownerId)]);
    const granted = owner ? grantedCatalogScopes(carried, catalog, minRole(token.role, owner.role)) : [];
    return scopesFor(token.role, token.environment, granted);
  }

  @FieldResolver(() => User, { description: 'Whom the token acts as' })
  owner(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<User> {
    return loadUser(ctx, token.ownerId);
  }

  @FieldResolver(() => User, { description: 'Who issued it' })
  createdBy(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<User> {
    return loadUser(ctx, token.createdById);
  }

  @FieldResolver(() => User, { nullable: true, description: 'null when not revoked, or revoked through a leak report' })
  async revokedBy(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<User | null> {
    return token.revokedById ? ctx.loaders.user.load(token.revokedById) : null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who disabled it; null unless DISABLED' })
  async disabledBy(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<User | null> {
    return token.disabledById ? ctx.loaders.user.load(token.disabledById) : null;
  }
}

async function loadUser(ctx: Context, id: string): Promise<User> {
  const user = await ctx.loaders.user.load(id);
  if (!user) throw notFound('User');
  return user;
}
