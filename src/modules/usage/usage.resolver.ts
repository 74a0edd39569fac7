import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { principalOf } from '../../common/principal-of';
import { ApiToken } from '../api-token/api-token.entity';
import { ApiTokenUsageDay } from './usage.types';

@Resolver(() => ApiToken)
export class ApiTokenUsageFieldResolver {
  @FieldResolver(() => [ApiTokenUsageDay], {
    description: 'Requests per UTC day (newest first) by client IP, against the token environment; days without use are left out. Up to USAGE_FLUSH_INTERVAL_MS behind.',
  })
  usage(@Root() token: ApiToken, @Arg('days', () => Int, { defaultValue: 30, description: '1 to 366, counting today' }) days: number, @Ctx() ctx: Context): Promise<ApiTokenUsageDay[]> {
    return ctx.services.usage.history(principalOf(ctx), token.id, days);
  }

  @FieldResolver(() => [String], {
    description:
      "Ranges to allow, from the token's recorded usage: the /24 (IPv4) or /64 (IPv6) of every address it was used from (usage history and last addresses), most requests first, at most 20",
  })
  suggestedCidrs(@Root() token: ApiToken, @Ctx() ctx: Context): Promise<string[]> {
    return ctx.services.usage.suggestedCidrs(principalOf(ctx), token);
  }
}
