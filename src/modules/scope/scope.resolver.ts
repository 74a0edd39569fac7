import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { principalOf } from '../../common/principal-of';
import { AccountScope, CreateScopeInput } from './account-scope.entity';

@Resolver(() => AccountScope)
export class ScopeResolver {
  @Query(() => [AccountScope], { description: "The account's catalog of custom scopes, by name" })
  scopes(@Ctx() ctx: Context): Promise<AccountScope[]> {
    return ctx.services.scopes.list(principalOf(ctx));
  }

  @Mutation(() => AccountScope, { description: 'OWNER and ADMIN: add a custom scope to the catalog' })
  createScope(@Arg('input', () => CreateScopeInput) input: CreateScopeInput, @Ctx() ctx: Context): Promise<AccountScope> {
    return ctx.services.scopes.create(principalOf(ctx), input, ctx.meta);
  }

  @Mutation(() => ID, { description: 'OWNER and ADMIN: remove a custom scope; every token stops carrying it at once' })
  deleteScope(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.scopes.delete(principalOf(ctx), id, ctx.meta);
  }
}
