import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, Timestamped, UpdatedAtColumn } from '../../db/columns';

export enum NotificationKind {
  TOKEN_EXPIRING = 'TOKEN_EXPIRING',
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
}
registerEnumType(NotificationKind, { name: 'NotificationKind' });

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
@Index('uq_notification_key', ['userId', 'tokenId', 'tokenExpiresAt', 'thresholdDays'], { unique: true })
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
  @Field(() => Int, { description: 'The threshold (days before expiry) that triggered it; 0 = expired' })
  thresholdDays!: number;

  @DateTimeColumn()
  @Field({ description: 'The expiry this notice is about' })
  tokenExpiresAt!: Date;

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
  @Field({ description: 'Send expiry notices by e-mail too (in-app notices are always on)' })
  email!: boolean;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}
