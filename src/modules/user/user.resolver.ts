import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { Role } from '../../common/roles';
import { notFound } from '../../errors';
import { Account } from '../account/account.entity';
import { CreateServiceAccountInput, CreateUserInput, UsersArgs } from './user.inputs';
import { User } from './user.entity';

export const UserConnection = Connection('User', User);

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The caller; null when anonymous' })
  me(@Ctx() ctx: Context): Promise<User | null> | User | null {
    const p = ctx.principal;
    if (!p) return null;
    // Authentication read the caller's row (the token's owner, the session's user): no query, no loader.
    if (p.user && p.user.id === p.userId && p.user.accountId === p.accountId) return Object.assign(new User(), p.user);
    return ctx.loaders.user.load(p.userId);
  }

  @Query(() => UserConnection, { description: 'OWNER and ADMIN: every user of the account; others: themselves. `kind` lists people or service accounts apart.' })
  users(@Args(() => UsersArgs) { first, after, kind }: UsersArgs, @Ctx() ctx: Context): Promise<Page<User>> {
    return ctx.services.users.list(principalOf(ctx), first, after, kind);
  }

  @Mutation(() => User, { description: 'OWNER and ADMIN: add a user with a role no higher than their own' })
  createUser(@Arg('input', () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.create(principalOf(ctx), input, ctx.meta);
  }

  @Mutation(() => User, {
    description:
      'OWNER and ADMIN: add a service account (kind SERVICE) with a role no higher than their own. It has no password and never signs in; issue tokens for it with createApiToken(input: { ownerId }). Its tokens outlive whoever issued them; deactivateUser stops them at once.',
  })
  createServiceAccount(@Arg('input', () => CreateServiceAccountInput) input: CreateServiceAccountInput, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.createServiceAccount(principalOf(ctx), input, ctx.meta);
  }

  @Mutation(() => User, { description: 'OWNER and ADMIN: never above their own role; the account keeps an active OWNER' })
  updateUserRole(@Arg('id', () => ID) id: string, @Arg('role', () => Role) role: Role, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.updateRole(principalOf(ctx), id, role, ctx.meta);
  }

  @Mutation(() => User, { description: "OWNER and ADMIN: the user's sessions end and tokens stop authenticating at once" })
  deactivateUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.deactivate(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => User, { description: 'OWNER and ADMIN: unrevoked, unexpired tokens work again' })
  reactivateUser(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.users.reactivate(principalOf(ctx), id, ctx.meta);
  }

  @FieldResolver(() => String, { description: 'Lower-cased. "" for a service account created without an address.' })
  email(@Root() user: User): string {
    return user.email ?? '';
  }

  @FieldResolver(() => Account)
  async account(@Root() user: User, @Ctx() ctx: Context): Promise<Account> {
    const account = await ctx.loaders.account.load(user.accountId);
    if (!account) throw notFound('Account');
    return account;
  }
}
