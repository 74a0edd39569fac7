import { Arg, Args, ArgsType, Ctx, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page, PageArgs } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { ApiToken } from './api-token.entity';
import { ApiTokenFilter, CreateApiTokenInput, CreatedApiToken, RegenerateApiTokenArgs, RevokeApiTokensResult } from './api-token.inputs';
import { UpdateApiTokenInput } from './api-token.update';

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
    return ctx.services.apiTokens.create(principalOf(ctx), input, ctx.meta);
  }

  @Mutation(() => CreatedApiToken, {
    description:
      "A new secret for the same token; the old one stops working at once, or after gracePeriodSeconds. Another user's token: as for issuing (OWNER/ADMIN, owner's role not above yours).",
  })
  regenerateApiToken(@Args(() => RegenerateApiTokenArgs) args: RegenerateApiTokenArgs, @Ctx() ctx: Context): Promise<CreatedApiToken> {
    return ctx.services.apiTokens.regenerate(principalOf(ctx), args, ctx.meta);
  }

  @Mutation(() => ApiToken, { description: 'Immediate and irreversible' })
  revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.revoke(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => ApiToken, {
    description:
      'Change a token you may manage: its name, description, IP allowlist or rate limit (raising a limit is OWNER/ADMIN only). Takes effect on the next request; emits token.updated.',
  })
  updateApiToken(@Arg('id', () => ID) id: string, @Arg('input', () => UpdateApiTokenInput) input: UpdateApiTokenInput, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.update(principalOf(ctx), id, input, ctx.meta);
  }

  @Mutation(() => ApiToken, {
    description:
      'Pause an ACTIVE token: refused like a revoked one from the moment this returns, until enableApiToken brings it back with the same secret. Idempotent. The owner is told when someone else does it.',
  })
  disableApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.disable(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => ApiToken, {
    description: 'Bring a DISABLED token back with the same secret (counts against maxActiveTokens again). A token someone else disabled: OWNER/ADMIN only. Idempotent.',
  })
  enableApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiToken> {
    return ctx.services.apiTokens.enable(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => RevokeApiTokensResult, {
    description:
      'OWNER/ADMIN: revoke every ACTIVE or DISABLED token of the account that the filter matches, oldest first, at most 1,000 per call (capped says more remain), in one transaction. Each token is audited and sent as token.revoked; owners other than you are told.',
  })
  revokeApiTokens(
    @Arg('filter', () => ApiTokenFilter) filter: ApiTokenFilter,
    @Arg('reason', () => String, { nullable: true, description: 'Up to 200 characters: recorded with each revocation and shown to the owners' }) reason: string | null,
    @Ctx() ctx: Context,
  ): Promise<RevokeApiTokensResult> {
    return ctx.services.apiTokens.revokeMany(principalOf(ctx), filter, reason, ctx.meta);
  }

  @Mutation(() => ID, { description: 'Only REVOKED or EXPIRED tokens; the token stays listed with status DELETED' })
  deleteApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.apiTokens.delete(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => Boolean, {
    description: 'For secret scanners: revoke a leaked token by its secret. No authentication; always true; rate limited.',
  })
  revokeLeakedApiToken(@Arg('secret') secret: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.apiTokens.revokeLeaked(secret, ctx.meta);
  }
}
