import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';

/**
 * One entry of the audit trail. Written in the same transaction as the change
 * it describes; failed authentications are written on their own. Never holds a
 * secret: only ids, names, roles and reasons.
 */
@Entity('audit_event')
@Index('idx_audit_event_account_id', ['accountId', 'id'])
@Index('idx_audit_event_account_action', ['accountId', 'action'])
@Index('idx_audit_event_account_target', ['accountId', 'targetId'])
@Index('idx_audit_event_account_actor', ['accountId', 'actorId'])
@ObjectType({ description: 'Something that changed, or a failed authentication. Never contains a secret.' })
export class AuditEvent extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  /** Null for failed authentications that name no known account (not visible through the API). */
  @RefColumn({ nullable: true })
  accountId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  @Field({ description: 'e.g. token.created, user.role_changed, auth.failed' })
  action!: string;

  @RefColumn({ nullable: true })
  @Field(() => ID, { nullable: true, description: 'The user who acted; null for anonymous requests and the scheduler' })
  actorId!: string | null;

  @RefColumn({ nullable: true })
  @Field(() => ID, { nullable: true, description: 'The API token the request authenticated with, if any' })
  actorTokenId!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  @Field(() => String, { nullable: true, description: 'api_token, user, account, webhook, session' })
  targetType!: string | null;

  @RefColumn({ nullable: true })
  @Field(() => ID, { nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  @Field(() => String, { nullable: true, description: 'Why an authentication failed' })
  reason!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  /** Small JSON object of non-secret details (old and new role, token name…). */
  @Column({ type: 'varchar', length: 2000, nullable: true })
  @Field(() => String, { nullable: true, description: 'JSON object with non-secret details' })
  details!: string | null;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
