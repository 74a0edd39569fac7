import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { principalOf } from '../../common/principal-of';
import { Account, AccountPolicy, policyOf, TokenRules } from './account.entity';
import { mayMint } from '../api-token/api-token.service';
import { AccountPolicyInput } from './account.inputs';

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => Account, { description: "The caller's account" })
  account(@Ctx() ctx: Context): Promise<Account> {
    return ctx.services.accounts.get(principalOf(ctx));
  }

  @Mutation(() => AccountPolicy, { description: 'OWNER and ADMIN: change the token rules of the account' })
  updateAccountPolicy(@Arg('input', () => AccountPolicyInput) input: AccountPolicyInput, @Ctx() ctx: Context): Promise<AccountPolicy> {
    return ctx.services.accounts.updatePolicy(principalOf(ctx), input, ctx.meta);
  }

  @FieldResolver(() => AccountPolicy, { description: 'OWNER and ADMIN only' })
  policy(@Root() account: Account): AccountPolicy {
    return policyOf(account);
  }

  @FieldResolver(() => TokenRules, { description: 'Every user: who may create tokens, and the lifetimes a new token may have' })
  tokenRules(@Root() account: Account, @Ctx() ctx: Context): TokenRules {
    const policy = policyOf(account);
    return Object.assign(new TokenRules(), {
      tokenCreation: policy.tokenCreation,
      defaultTokenLifetimeDays: policy.defaultTokenLifetimeDays,
      maxTokenLifetimeDays: policy.maxTokenLifetimeDays,
      canCreateTokens: mayMint(principalOf(ctx).role, policy.tokenCreation),
    });
  }
}
