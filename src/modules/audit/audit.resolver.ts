import { Args, ArgsType, Ctx, Field, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, Page, PageArgs } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { AuditEvent } from './audit-event.entity';
import { AuditEventFilter } from './audit.inputs';

export const AuditEventConnection = Connection('AuditEvent', AuditEvent);

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => AuditEventFilter, { nullable: true })
  filter?: AuditEventFilter | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: "OWNER and ADMIN: the account's audit trail, newest first" })
  auditEvents(@Args(() => AuditEventsArgs) { filter, first, after }: AuditEventsArgs, @Ctx() ctx: Context): Promise<Page<AuditEvent>> {
    return ctx.services.audit.list(principalOf(ctx), filter, first, after);
  }
}
