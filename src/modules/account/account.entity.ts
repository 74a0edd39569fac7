import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { CreatedAtColumn, IdColumn, intListTransformer, UpdatedAtColumn, Timestamped } from '../../db/columns';

export enum TokenCreationPolicy {
  ALL_MEMBERS = 'ALL_MEMBERS',
  ADMINS_ONLY = 'ADMINS_ONLY',
  OWNER_ONLY = 'OWNER_ONLY',
}
registerEnumType(TokenCreationPolicy, {
  name: 'TokenCreationPolicy',
  description: 'Who may create and regenerate API tokens in an account',
});

export const POLICY_DEFAULTS = {
  maxActiveTokens: 50,
  tokenCreation: TokenCreationPolicy.ALL_MEMBERS,
  defaultTokenLifetimeDays: 365 as number | null,
  maxTokenLifetimeDays: null as number | null,
  expiryNotificationDays: [30, 10, 5, 1, 0],
  revokeUnusedAfterDays: null as number | null,
};

@ObjectType({ description: "An account's rules for API tokens" })
export class AccountPolicy {
  @Field(() => Int, { description: 'Most ACTIVE tokens the account may hold at once' })
  maxActiveTokens!: number;

  @Field(() => TokenCreationPolicy, { description: 'Who may create and regenerate tokens' })
  tokenCreation!: TokenCreationPolicy;

  @Field(() => Int, { nullable: true, description: 'Lifetime of a token created without an expiry; null = never expires' })
  defaultTokenLifetimeDays!: number | null;

  @Field(() => Int, { nullable: true, description: 'Longest lifetime a token may have; null = unlimited, and "never expires" allowed' })
  maxTokenLifetimeDays!: number | null;

  @Field(() => [Int], { description: 'Days before expiry at which notices go out (0 = on the day)' })
  expiryNotificationDays!: number[];

  @Field(() => Int, {
    nullable: true,
    description:
      'Revoke ACTIVE tokens not used for this many days (or never used and created that long ago), reason "inactive", after a notice to the owner 7 days before; null = off (default)',
  })
  revokeUnusedAfterDays!: number | null;
}

@ObjectType({ description: "The part of the account's token policy every user may read: what the token form offers" })
export class TokenRules {
  @Field(() => TokenCreationPolicy, { description: 'Who may create and regenerate tokens' })
  tokenCreation!: TokenCreationPolicy;

  @Field(() => Int, { nullable: true, description: 'Lifetime of a token created without an expiry; null = never expires' })
  defaultTokenLifetimeDays!: number | null;

  @Field(() => Int, { nullable: true, description: 'Longest lifetime a token may have; null = unlimited, and "never expires" allowed' })
  maxTokenLifetimeDays!: number | null;

  @Field({ description: 'Whether the caller (with the role of this request) may create and regenerate tokens' })
  canCreateTokens!: boolean;
}

@Entity('account')
@Directive('@key(fields: "id")')
@ObjectType({ description: 'A tenant: its users and tokens are invisible to every other account' })
export class Account extends Timestamped {
  @IdColumn()
  @Field(() => ID)
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  @Field()
  name!: string;

  @Column({ type: 'int', default: POLICY_DEFAULTS.maxActiveTokens })
  maxActiveTokens!: number;

  @Column({ type: 'varchar', length: 16, default: POLICY_DEFAULTS.tokenCreation })
  tokenCreation!: TokenCreationPolicy;

  @Column({ type: 'int', nullable: true, default: POLICY_DEFAULTS.defaultTokenLifetimeDays })
  defaultTokenLifetimeDays!: number | null;

  @Column({ type: 'int', nullable: true })
  maxTokenLifetimeDays!: number | null;

  @Column({ type: 'varchar', length: 255, default: POLICY_DEFAULTS.expiryNotificationDays.join(','), transformer: intListTransformer })
  expiryNotificationDays!: number[];

  /** Indexed: the clean-up reads only the accounts that turned it on. */
  @Index('idx_account_revoke_unused')
  @Column({ type: 'int', nullable: true })
  revokeUnusedAfterDays!: number | null;

  @CreatedAtColumn()
  declare createdAt: Date;

  @UpdatedAtColumn()
  declare updatedAt: Date;
}

export function policyOf(account: Account): AccountPolicy {
  return Object.assign(new AccountPolicy(), {
    maxActiveTokens: account.maxActiveTokens,
    tokenCreation: account.tokenCreation,
    defaultTokenLifetimeDays: account.defaultTokenLifetimeDays,
    maxTokenLifetimeDays: account.maxTokenLifetimeDays,
    expiryNotificationDays: account.expiryNotificationDays,
    revokeUnusedAfterDays: account.revokeUnusedAfterDays ?? null,
  });
}
