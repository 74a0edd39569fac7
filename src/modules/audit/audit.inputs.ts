import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: 'Exact action, e.g. token.revoked' })
  action?: string | null;

  @Field(() => ID, { nullable: true })
  actorId?: string | null;

  @Field(() => ID, { nullable: true })
  targetId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Inclusive' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Exclusive' })
  until?: Date | null;
}
