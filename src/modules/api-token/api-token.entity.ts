import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CreatedAtColumn, DateTimeColumn, IdColumn, RefColumn, stringListTransformer, UpdatedAtColumn, Timestamped } from '../../db/columns';
import { Role } from '../../common/roles';
import { Account } from '../account/account.entity';
import { User } from '../user/user.entity';

export enum TokenStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  REVOKED = 'REVOKED',
  DELETED = 'DELETED',
  /** Paused: refused like a revoked token until enableApiToken brings it back with the same secret. */
  DISABLED = 'DISABLED',
}
registerEnumType(TokenStatus, {
  name: 'TokenStatus',
  description: 'EXPIRED is derived from expiresAt when read (a disabled token past its expiry is EXPIRED); DISABLED is paused and can be enabled again',
});

/** What is stored: EXPIRED is never stored, it is derived from expiresAt. */
export type StoredTokenStatus = TokenStatus.ACTIVE | TokenStatus.DISABLED | TokenStatus.REVOKED | TokenStatus.DELETED;

@Entity('api_token')
// Listings page newest first by id within an account: InnoDB appends the primary key (id) to every secondary
// index, so (accountId) serves the unfiltered listing, (accountId, role) the role filter, and so on, in id order.
@Index('idx_api_token_account', ['accountId'])
@Index('idx_api_token_account_status', ['accountId', 'storedStatus'])
@Index('idx_api_token_account_role', ['accountId', 'role'])
@Index('idx_api_token_account_environment', ['accountId', 'environment'])
// Counts of ACTIVE tokens by expiry (the token limit, apiTokenAlerts) from the index alone.
@Index('idx_api_token_account_expiry', ['accountId', 'storedStatus', 'expiresAt'])
// The inactivity clean-up and the lastUsedBefore/lastUsedAfter/neverUsed filters: a range of last use within a status.
@Index('idx_api_token_account_last_used', ['accountId', 'storedStatus', 'lastUsedAt'])
@Directive('@key(fields: "id")')
@ObjectType({ description: 'A personal API token. Its secret is shown once, at creation or regeneration, and never stored.' })
export class ApiToken extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @RefColumn()
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'accountId' })
  accountRef?: Account;

  /** Whom the token acts as. */
  @Index('idx_api_token_owner')
  @RefColumn()
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ownerId' })
  ownerRef?: User;

  /** Who issued it. */
  @Index('idx_api_token_created_by')
  @RefColumn()
  createdById!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'createdById' })
  createdByRef?: User;

  @Column({ type: 'varchar', length: 100 })
  @Field()
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  @Field(() => String, { nullable: true })
  description!: string | null;

  @Index('uq_api_token_username', { unique: true })
  @Column({ type: 'varchar', length: 40 })
  @Field({ description: 'Token-specific username for HTTP Basic authentication' })
  username!: string;

  @Column({ type: 'varchar', length: 24 })
  @Field({ description: "The secret's non-secret prefix, for recognising it in a list" })
  hint!: string;

  @Column({ type: 'varchar', length: 16 })
  @Field(() => Role, { description: "The token's role; requests act with the lower of this and the owner's current role" })
  role!: Role;

  @Column({ type: 'varchar', length: 64, nullable: true })
  @Field(() => String, { nullable: true, description: 'Optional environment scope; usage is tracked against it' })
  environment!: string | null;

  @Column({ type: 'varchar', length: 16, default: TokenStatus.ACTIVE })
  storedStatus!: StoredTokenStatus;

  /** SHA-256 of the current secret. */
  @Index('uq_api_token_secret_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  secretHash!: string;

  /** SHA-256 of the secret replaced by the last regeneration, valid until previousSecretExpiresAt. */
  @Index('uq_api_token_previous_secret_hash', { unique: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  previousSecretHash!: string | null;

  @DateTimeColumn({ nullable: true })
  previousSecretExpiresAt!: Date | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true, description: 'null = never expires' })
  expiresAt!: Date | null;

  /**
   * When the scheduler next has to look at this token for an expiry notice
   * (the next threshold crossing); null when no notice is pending (no expiry,
   * revoked, deleted, or the series is over). The scheduler reads only tokens
   * whose time has come, so a pass costs what is due, not the table's size.
   */
  @Index('idx_api_token_next_notice')
  @DateTimeColumn({ nullable: true })
  nextNoticeAt!: Date | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  @Field(() => Int)
  useCount!: number;

  @Column({ type: 'varchar', length: 300, nullable: true, transformer: stringListTransformer })
  @Field(() => [String], { description: 'The last five distinct client IP addresses that used the token, newest first' })
  lastUsedIps!: string[];

  /** Names of the account-catalog scopes the token carries (JSON text); granted only while catalogued and allowed to the owner. */
  @Column({ type: 'varchar', length: 1500, nullable: true, transformer: stringListTransformer })
  catalogScopes!: string[];

  /** Canonical CIDR ranges (JSON text); empty = usable from any address. */
  @Column({ type: 'varchar', length: 1000, nullable: true, transformer: stringListTransformer })
  @Field(() => [String], {
    description: 'The IPv4 and IPv6 ranges (CIDR, canonical form) the token may be used from; empty = from anywhere',
  })
  allowedCidrs!: string[];

  /** Requests per minute at the gateway; null = the gateway's GATEWAY_RATE_LIMIT_PER_TOKEN. */
  @Column({ type: 'int', nullable: true })
  @Field(() => Int, { nullable: true, description: "Requests per minute the gateway allows this token; null = the gateway's default (GATEWAY_RATE_LIMIT_PER_TOKEN)" })
  rateLimitPerMinute!: number | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;

  @RefColumn({ nullable: true })
  revokedById!: string | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the token was disabled; null unless DISABLED' })
  disabledAt!: Date | null;

  @RefColumn({ nullable: true })
  disabledById!: string | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true, description: 'When the secret was last regenerated' })
  regeneratedAt!: Date | null;

  @DateTimeColumn({ nullable: true })
  @Field(() => Date, { nullable: true })
  deletedAt!: Date | null;

  @CreatedAtColumn()
  @Field()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

/** Status as clients see it: EXPIRED derived at read time. */
export function tokenStatus(token: Pick<ApiToken, 'storedStatus' | 'expiresAt'>, now: Date): TokenStatus {
  // A paused token can never come back once its expiry has passed: it is EXPIRED like an active one.
  if (token.storedStatus !== TokenStatus.ACTIVE && token.storedStatus !== TokenStatus.DISABLED) return token.storedStatus;
  if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return TokenStatus.EXPIRED;
  return token.storedStatus;
}
