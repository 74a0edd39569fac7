import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page, PageArgs } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { ApiToken } from '../api-token/api-token.entity';
import { Notification, NotificationSettings } from './notification.entity';

export const NotificationConnection = Connection('Notification', Notification);

@ObjectType({ description: "For the exclamation mark: the caller's visible tokens that need attention" })
export class ApiTokenAlerts {
  @Field(() => Int, { description: 'ACTIVE tokens expiring within 7 days' })
  expiringSoonCount!: number;

  @Field(() => Int, { description: 'Tokens that have expired (not revoked or deleted)' })
  expiredCount!: number;
}

@InputType()
export class NotificationSettingsInput {
  @Field(() => Boolean, { nullable: true, description: 'E-mail expiry notices (in-app notices are always on)' })
  email?: boolean | null;
}

@ArgsType()
class NotificationsArgs extends PageArgs {
  @Field(() => Boolean, { nullable: true })
  unreadOnly?: boolean | null;
}

@Resolver(() => Notification)
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: "The caller's own notifications, newest first" })
  notifications(@Args(() => NotificationsArgs) { unreadOnly, first, after }: NotificationsArgs, @Ctx() ctx: Context): Promise<Page<Notification>> {
    return ctx.services.notifications.list(principalOf(ctx), unreadOnly, first, after);
  }

  @Mutation(() => Int, { description: "Mark the caller's notifications read; returns how many changed (others' ids are ignored)" })
  markNotificationsRead(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<number> {
    return ctx.services.notifications.markRead(principalOf(ctx), ids);
  }

  @Query(() => ApiTokenAlerts, { description: "Counts of the caller's visible tokens expiring within 7 days or expired" })
  async apiTokenAlerts(@Ctx() ctx: Context): Promise<ApiTokenAlerts> {
    return Object.assign(new ApiTokenAlerts(), await ctx.services.apiTokens.alerts(principalOf(ctx)));
  }

  @Query(() => NotificationSettings, { description: "The caller's notification settings" })
  notificationSettings(@Ctx() ctx: Context): Promise<NotificationSettings> {
    return ctx.services.notifications.settings(principalOf(ctx));
  }

  @Mutation(() => NotificationSettings, { description: "Change the caller's notification settings" })
  updateNotificationSettings(@Arg('input', () => NotificationSettingsInput) input: NotificationSettingsInput, @Ctx() ctx: Context): Promise<NotificationSettings> {
    return ctx.services.notifications.updateSettings(principalOf(ctx), input, ctx.meta);
  }

  @FieldResolver(() => ApiToken, { nullable: true, description: 'null if the caller can no longer see the token' })
  token(@Root() n: Notification, @Ctx() ctx: Context): Promise<ApiToken | null> {
    return ctx.services.apiTokens.get(principalOf(ctx), n.tokenId);
  }
}
