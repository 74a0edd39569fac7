import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, stringListTransformer, Timestamped, UpdatedAtColumn } from '../../db/columns';
import { Account } from '../account/account.entity';

@Entity('webhook')
@ObjectType({ description: 'An account webhook: signed JSON POSTs for token events. Its secret is shown once, at creation.' })
export class Webhook extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @Index('idx_webhook_account')
  @RefColumn()
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'accountId' })
  accountRef?: Account;

  @Column({ type: 'varchar', length: 2000 })
  @Field()
  url!: string;

  @Column({ type: 'varchar', length: 300, transformer: stringListTransformer })
  @Field(() => [String], { description: 'token.expiring, token.expired, token.created, token.revoked, token.deleted, token.regenerated, token.disabled, token.enabled, token.updated' })
  events!: string[];

  /** The signing secret, AES-256-GCM encrypted under a key derived from SESSION_SIGNING_KEY. Never returned. */
  @Column({ type: 'varchar', length: 200 })
  secretCiphertext!: string;

  @RefColumn()
  createdById!: string;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

export enum DeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

@ObjectType()
export class WebhookDeliveryAttempt {
  @Field()
  attemptedAt!: Date;

  @Field(() => Int, { nullable: true, description: 'HTTP status; null when no answer came' })
  statusCode!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int)
  durationMs!: number;
}

interface StoredAttempt {
  at: string;
  status: number | null;
  error: string | null;
  ms: number;
}

export const attemptsTransformer = {
  to: (v: StoredAttempt[] | undefined | null) => (v == null ? v : JSON.stringify(v)),
  from: (v: string | null): StoredAttempt[] => {
    try {
      const parsed = v ? JSON.parse(v) : [];
      return Array.isArray(parsed) ? parsed : [];
    } catch {
      return [];
    }
  },
};

/** One event for one webhook: queued in the change's transaction, delivered and retried by the delivery loop. */
@Entity('webhook_delivery')
@Index('idx_webhook_delivery_webhook', ['webhookId', 'id'])
@Index('idx_webhook_delivery_due', ['status', 'nextAttemptAt'])
@Index('idx_webhook_delivery_finished', ['status', 'updatedAt'])
@ObjectType()
export class WebhookDelivery extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @RefColumn()
  webhookId!: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhookId' })
  webhookRef?: Webhook;

  @RefColumn()
  accountId!: string;

  @Column({ type: 'varchar', length: 32 })
  @Field()
  event!: string;

  /** The exact JSON body that is signed and sent (no secrets). */
  @Column({ type: 'text' })
  @Field({ description: 'The JSON body sent' })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  @Field(() => String, { description: 'PENDING, SUCCEEDED or FAILED (gave up after the last retry)' })
  status!: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  @Field(() => Int)
  attemptCount!: number;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null once finished' })
  nextAttemptAt!: Date | null;

  /** A delivery worker's claim, so two replicas never send the same attempt. */
  @DateTimeColumn({ nullable: true })
  lockedUntil!: Date | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'text', nullable: true, transformer: attemptsTransformer })
  attemptLog!: StoredAttempt[];

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

export function attemptsOf(d: WebhookDelivery): WebhookDeliveryAttempt[] {
  return (d.attemptLog ?? []).map((a) => Object.assign(new WebhookDeliveryAttempt(), { attemptedAt: new Date(a.at), statusCode: a.status, error: a.error, durationMs: a.ms }));
}

@ObjectType({ description: 'A new webhook with its signing secret: the only time the secret is returned' })
export class CreatedWebhook {
  @Field(() => Webhook)
  webhook!: Webhook;

  @Field({ description: 'Verify X-Tokengate-Signature with it; it is not shown again' })
  secret!: string;
}
