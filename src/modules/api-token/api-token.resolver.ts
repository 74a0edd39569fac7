import { Arg, Args, ArgsType, Ctx, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page, PageArgs } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { ApiToken } from './api-token.entity';
import { ApiTokenFilter, CreateApiTokenInput, CreatedApiToken, RegenerateApiTokenArgs, UpdateApiTokenInput } from './api-token.inputs';

export const ApiTokenConnection = Connection('ApiToken', ApiToken);

@ArgsType()
class ApiTokensArgs extends PageArgs {
  @Field(() => ApiTokenFilter, { nullable: true })
  filter?: ApiTokenFilter | null;

}

@Resolver(() => ApiToken)
export class ApiTokenResolver {
  @Query(() => ApiToken, { nullable: true, description: 'null when missing or not visible to the caller' })
  apiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken | null> {
    return ctx.services.apiTokens.get(principalOf(ctx), id);
  }

  @Query(() => ApiTokenConnection, { description: 'Newest first. OWNER and ADMIN see the whole account; others the tokens they own or issued.' })
  apiTokens(@Args(() => ApiTokensArgs) { filter, first, after }: ApiTokensArgs, @Ctx() ctx: Context): Promise<Page<ApiToken>> {
    return ctx.services.apiTokens.list(principalOf(ctx), filter, first, after);
  }

  @Mutation(() => CreatedApiToken, { description: 'The secret is in the answer, once' })
  createApiToken(@Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput, @Ctx() ctx: Context): Promise<CreatedApiToken> {
    return ctx.services.apiTokens.create(principalOf(ctx), input);
  }

  @Mutation(() => CreatedApiToken, { description: "A new secret for the same token; the old one stops working at once, or after gracePeriodSeconds. Another user's token: as for issuing (OWNER/ADMIN, owner's role not above yours)." })
  regenerateApiToken(@Args(() => RegenerateApiTokenArgs) args: RegenerateApiTokenArgs, @Ctx() ctx: Context): Promise<CreatedApiToken> {
    return ctx.services.apiTokens.regenerate(principalOf(ctx), args);
  }

  @Mutation(() => ApiToken, {
    description: 'Change a token you may manage (its IP allowlist and rate limit); it takes effect on the next request. Audited as token.updated.',
  })
  updateApiToken(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateApiTokenInput) input: UpdateApiTokenInput, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.update(principalOf(ctx), id, input);
  }

  @Mutation(() => ApiToken, { description: 'Immediate and irreversible' })
  revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.revoke(principalOf(ctx), id);
  }

  @Mutation(() => ID, { description: 'Only REVOKED or EXPIRED tokens; the token stays listed with status DELETED' })
  deleteApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.apiTokens.delete(principalOf(ctx), id);
  }

  @Mutation(() => Boolean, {
    description: 'For secret scanners: revoke a leaked token by its secret. No authentication; always true; rate limited.',
  })
  revokeLeakedApiToken(@Arg('secret') secret: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.apiTokens.revokeLeaked(secret, ctx.ip);
  }
}
