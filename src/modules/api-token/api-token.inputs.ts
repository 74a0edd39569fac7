import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Role } from '../../common/roles';
import { ApiToken, TokenStatus } from './api-token.entity';

@InputType()
export class CreateApiTokenInput {
  @Field({ description: "1 to 100 characters, unique among the owner's tokens that are not deleted" })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 1000 characters' })
  description?: string | null;

  @Field(() => Role, { nullable: true, description: "Default: the owner's role, capped by yours. Never above yours or the owner's." })
  role?: Role | null;

  @Field(() => String, { nullable: true, description: 'Environment scope: letters, digits, ".", "_" and "-", up to 64 characters' })
  environment?: string | null;

  @Field(() => Date, { nullable: true, description: "In the future and within the account's maxTokenLifetimeDays. Default: defaultTokenLifetimeDays from now." })
  expiresAt?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'Never expire; refused when the account sets maxTokenLifetimeDays' })
  neverExpires?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'OWNER and ADMIN may issue a token for another user of their account whose role is not above theirs' })
  ownerId?: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      "Custom scopes from the account's catalog (at most 20). The owner and your effective role must both reach each scope's minRole; with an API token you may only pass on catalog scopes it carries.",
  })
  scopes?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'IPv4 and IPv6 addresses or ranges in CIDR notation (at most 20) the token may be used from, directly and through the gateway; stored in canonical form. Default: from anywhere.',
  })
  allowedCidrs?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Requests per minute the gateway allows this token (1 to 1000000). Default: the gateway's GATEWAY_RATE_LIMIT_PER_TOKEN. Below OWNER/ADMIN, only a limit no higher than that default.",
  })
  rateLimitPerMinute?: number | null;
}

@ArgsType()
export class RegenerateApiTokenArgs {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, {
    nullable: true,
    defaultValue: 0,
    description: 'Seconds during which the old secret keeps working too, for zero-downtime rotation (0 to 604800 = 7 days)',
  })
  gracePeriodSeconds?: number | null;

  @Field(() => Date, { nullable: true, description: 'A new expiry; default: keep the current one' })
  expiresAt?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'Make the token never expire (if the account allows it)' })
  neverExpires?: boolean | null;
}

@InputType()
export class ApiTokenFilter {
  @Field(() => ID, { nullable: true, description: 'Tokens issued (created) by this user' })
  issuedBy?: string | null;

  @Field(() => ID, { nullable: true, description: 'Tokens owned by (acting as) this user' })
  owner?: string | null;

  @Field(() => [Role], { nullable: true })
  role?: Role[] | null;

  @Field(() => [TokenStatus], { nullable: true, description: 'Default: every status but DELETED (revokeApiTokens: ACTIVE and DISABLED)' })
  status?: TokenStatus[] | null;

  @Field(() => String, { nullable: true })
  environment?: string | null;

  @Field(() => Int, { nullable: true, description: 'ACTIVE tokens that expire within this many days' })
  expiringWithinDays?: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Name or description contains this substring, case-insensitively (on MySQL/MariaDB also accent-insensitively, as utf8mb4_unicode_ci compares); % and _ are literal. A term of 3 characters or more is looked up in a trigram index, so its cost follows the tokens that contain it, not the size of the account.',
  })
  search?: string | null;

  @Field(() => Date, { nullable: true, description: 'Last used before this time (tokens never used do not match). lastUsedAt is written every few seconds, not on every request.' })
  lastUsedBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last used at or after this time' })
  lastUsedAfter?: Date | null;

  @Field(() => Boolean, { nullable: true, description: 'true: never used since creation; false: used at least once' })
  neverUsed?: boolean | null;
}

@ObjectType({ description: 'What revokeApiTokens did' })
export class RevokeApiTokensResult {
  @Field(() => Int, { description: 'Tokens revoked by this call' })
  count!: number;

  @Field({ description: 'true when more tokens matched than one call revokes (1,000): call again with the same filter to revoke the rest' })
  capped!: boolean;
}

@ObjectType({ description: 'A token with its secret: the only time the secret is ever returned' })
export class CreatedApiToken {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field({ description: 'Copy it now: it is not stored and cannot be shown again' })
  secret!: string;
}
