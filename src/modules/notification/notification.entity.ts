import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';

export enum NotificationKind {
  TOKEN_EXPIRING = 'TOKEN_EXPIRING',
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
  /** Someone other than the owner (or a leak report, or the inactivity clean-up) revoked the owner's token. */
  TOKEN_REVOKED = 'TOKEN_REVOKED',
  /** Someone other than the owner disabled the owner's token. */
  TOKEN_DISABLED = 'TOKEN_DISABLED',
  /** Someone other than the owner regenerated the owner's token (its old secret stops working). */
  TOKEN_REGENERATED = 'TOKEN_REGENERATED',
  /** The owner's token has not been used for a long time and will be revoked by the inactivity clean-up. */
  TOKEN_INACTIVE = 'TOKEN_INACTIVE',
}
registerEnumType(NotificationKind, {
  name: 'NotificationKind',
  description:
    'TOKEN_EXPIRING and TOKEN_EXPIRED: expiry notices. TOKEN_REVOKED, TOKEN_DISABLED, TOKEN_REGENERATED: someone else acted on your token (see actor, actedAt). TOKEN_INACTIVE: the inactivity clean-up will revoke your token at tokenExpiresAt unless it is used.',
});

/** The kinds that tell an owner what someone else did to their token. */
export const ACTION_KINDS: ReadonlySet<NotificationKind> = new Set([NotificationKind.TOKEN_REVOKED, NotificationKind.TOKEN_DISABLED, NotificationKind.TOKEN_REGENERATED]);

export enum EmailStatus {
  PENDING = 'PENDING',
  SENDING = 'SENDING',
  SENT = 'SENT',
  /** The recipient turned e-mail off. */
  SKIPPED = 'SKIPPED',
  FAILED = 'FAILED',
}

/**
 * The decision to notify about one token at one threshold for one expiry.
 * Its unique key is the idempotency guard: two scheduler passes (or two
 * replicas) racing for the same notice cannot both insert it.
 */
@Entity('token_expiry_notice')
@Index('uq_token_expiry_notice_key', ['tokenId', 'tokenExpiresAt', 'thresholdDays'], { unique: true })
export class TokenExpiryNotice extends Timestamped {
  @IdColumn()
  id!: string;

  @RefColumn()
  accountId!: string;

  @RefColumn()
  tokenId!: string;

  @DateTimeColumn()
  tokenExpiresAt!: Date;

  @Column({ type: 'int' })
  thresholdDays!: number;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

/** One in-app notice for one user (and, unless they turned it off, one e-mail). */
@Entity('notification')
@Index('uq_notification_kind_key', ['userId', 'tokenId', 'kind', 'tokenExpiresAt', 'thresholdDays'], { unique: true })
@Index('idx_notification_user', ['userId', 'id'])
@Index('idx_notification_email', ['emailStatus'])
@ObjectType({ description: 'An in-app notice for the caller' })
export class Notification extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @RefColumn()
  accountId!: string;

  @RefColumn()
  userId!: string;

  @RefColumn()
  tokenId!: string;

  @Column({ type: 'varchar', length: 32 })
  @Field(() => NotificationKind)
  kind!: NotificationKind;

  @Column({ type: 'int' })
  @Field(() => Int, {
    description: 'Expiry notices: the threshold (days before expiry) that triggered it, 0 = expired. TOKEN_INACTIVE: days left before the clean-up revokes the token. Other kinds: 0.',
  })
  thresholdDays!: number;

  @DateTimeColumn()
  @Field({
    description: 'Expiry notices: the expiry this notice is about. TOKEN_INACTIVE: when the clean-up will revoke the token. Other kinds: when it happened (actedAt).',
  })
  tokenExpiresAt!: Date;

  /** Who acted (TOKEN_REVOKED, TOKEN_DISABLED, TOKEN_REGENERATED): a user of the account; null for a leak report or the clean-up. */
  @RefColumn({ nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 400, nullable: true })
  @Field(() => String, {
    nullable: true,
    description: 'Who did it, as it was then: a user\'s name and e-mail address, "a leak report" or "the inactivity clean-up"; null for expiry notices',
  })
  actor!: string | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true, description: 'When it happened; null for expiry notices' })
  actedAt!: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  @Field(() => String, { nullable: true, description: 'The reason given, if any (revokeApiTokens reason, "leak_report", "inactive")' })
  reason!: string | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  readAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  emailStatus!: EmailStatus;

  @Column({ type: 'int', default: 0 })
  emailAttempts!: number;

  @DateTimeColumn({ nullable: true })
  emailLockedUntil!: Date | null;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

/** Per-user notification preferences; no row = defaults (e-mail on). In-app notices are always on. */
@Entity('notification_settings')
@ObjectType()
export class NotificationSettings extends Timestamped {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @RefColumn()
  accountId!: string;

  @Column({ type: 'boolean', default: true })
  @Field({ description: 'Send notices (expiry, someone else acting on your tokens, inactivity) by e-mail too; in-app notices are always on' })
  email!: boolean;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
