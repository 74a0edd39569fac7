import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Role } from '../../common/roles';
import { ApiToken, TokenStatus } from './api-token.entity';

@InputType()
export class CreateApiTokenInput {
  @Field({ description: '1 to 100 characters, unique among the owner\'s tokens that are not deleted' })
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
    description: "Requests per minute the gateway allows this token (1 to 1000000). Default: the gateway's GATEWAY_RATE_LIMIT_PER_TOKEN. Below OWNER/ADMIN, only a limit no higher than that default.",
  })
  rateLimitPerMinute?: number | null;
}

@InputType({ description: 'Changes to a token; a field left out stays as it is' })
export class UpdateApiTokenInput {
  @Field(() => [String], {
    nullable: true,
    description: 'Replace the IP allowlist (IPv4/IPv6 CIDR, at most 20); [] = from anywhere; omitted or null = unchanged',
  })
  allowedCidrs?: string[] | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Requests per minute at the gateway (1 to 1000000); null = the gateway's default; omitted = unchanged. OWNER/ADMIN on any token; others may only lower it on their own tokens.",
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

  @Field(() => [TokenStatus], { nullable: true, description: 'Default: every status but DELETED' })
  status?: TokenStatus[] | null;

  @Field(() => String, { nullable: true })
  environment?: string | null;

  @Field(() => Int, { nullable: true, description: 'ACTIVE tokens that expire within this many days' })
  expiringWithinDays?: number | null;

  @Field(() => String, { nullable: true, description: 'Name or description contains (case-insensitive)' })
  search?: string | null;
}

@ObjectType({ description: 'A token with its secret: the only time the secret is ever returned' })
export class CreatedApiToken {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field({ description: 'Copy it now: it is not stored and cannot be shown again' })
  secret!: string;
}
