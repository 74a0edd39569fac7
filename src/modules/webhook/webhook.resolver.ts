import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page, PageArgs } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { attemptsOf, CreatedWebhook, Webhook, WebhookDelivery, WebhookDeliveryAttempt } from './webhook.entity';

export const WebhookDeliveryConnection = Connection('WebhookDelivery', WebhookDelivery);

@InputType()
export class CreateWebhookInput {
  @Field({ description: 'http(s) URL; link-local and metadata addresses are refused, and private ones in production' })
  url!: string;

  @Field(() => [String], { description: 'token.expiring, token.expired, token.created, token.revoked, token.deleted, token.regenerated, token.disabled, token.enabled, token.updated' })
  events!: string[];
}

@ArgsType()
class WebhookDeliveriesArgs extends PageArgs {
  @Field(() => ID)
  webhookId!: string;
}

@Resolver(() => Webhook)
export class WebhookResolver {
  @Query(() => [Webhook], { description: "OWNER and ADMIN: the account's webhooks" })
  webhooks(@Ctx() ctx: Context): Promise<Webhook[]> {
    return ctx.services.webhooks.list(principalOf(ctx));
  }

  @Query(() => WebhookDeliveryConnection, { nullable: true, description: 'OWNER and ADMIN: deliveries of one webhook, newest first; null when not found' })
  webhookDeliveries(@Args(() => WebhookDeliveriesArgs) { webhookId, first, after }: WebhookDeliveriesArgs, @Ctx() ctx: Context): Promise<Page<WebhookDelivery> | null> {
    return ctx.services.webhooks.deliveries(principalOf(ctx), webhookId, first, after);
  }

  @Mutation(() => CreatedWebhook, { description: 'OWNER and ADMIN: the signing secret is in the answer, once' })
  createWebhook(@Arg('input', () => CreateWebhookInput) input: CreateWebhookInput, @Ctx() ctx: Context): Promise<CreatedWebhook> {
    return ctx.services.webhooks.create(principalOf(ctx), input, ctx.meta);
  }

  @Mutation(() => ID, { description: 'OWNER and ADMIN: the webhook and its pending deliveries are removed' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.webhooks.delete(principalOf(ctx), id, ctx.meta);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryFieldResolver {
  @FieldResolver(() => [WebhookDeliveryAttempt], { description: 'Every attempt, oldest first' })
  attempts(@Root() delivery: WebhookDelivery): WebhookDeliveryAttempt[] {
    return attemptsOf(delivery);
  }
}
