import { Args, ArgsType, Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Connection, DEFAULT_PAGE_SIZE, Page } from '../../common/pagination';
import { principalOf } from '../../common/principal-of';
import { AuditEvent } from './audit-event.entity';
import { AuditEventFilter } from './audit.inputs';

export const AuditEventConnection = Connection('AuditEvent', AuditEvent);

@ArgsType()
class AuditEventsArgs {
  @Field(() => AuditEventFilter, { nullable: true })
  filter?: AuditEventFilter | null;

  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: "OWNER and ADMIN: the account's audit trail, newest first" })
  auditEvents(@Args(() => AuditEventsArgs) { filter, first, after }: AuditEventsArgs, @Ctx() ctx: Context): Promise<Page<AuditEvent>> {
    return ctx.services.audit.list(principalOf(ctx), filter, first, after);
  }
}
