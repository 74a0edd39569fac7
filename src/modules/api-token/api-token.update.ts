import { Field, InputType, Int } from 'type-graphql';
import { badInput } from '../../errors';
import { optionalText, requiredText } from '../../common/validation';
import { allowedCidrsInput, rateLimitInput } from './api-token.access';

/*
 * updateApiToken's input and its validation, kept apart from the rest of the token inputs: other
 * changeable properties join this class and validateUpdateInput() here, and nothing else.
 */

@InputType({ description: 'What to change on a token; omitted fields keep their value. At least one field is required.' })
export class UpdateApiTokenInput {
  @Field(() => String, { nullable: true, description: "1 to 100 characters, unique among the owner's tokens that are not deleted (regardless of letter case)" })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Up to 1000 characters; null or "" clears it' })
  description?: string | null;

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

/** The validated change: only the fields that were given. */
export interface TokenUpdate {
  name?: string;
  description?: string | null;
  /** Canonical ranges; [] = from anywhere. */
  allowedCidrs?: string[];
  /** null = back to the gateway's default. */
  rateLimitPerMinute?: number | null;
}

/** Checks the input's shape and values (not uniqueness or who may set a limit, which need the database). */
export function validateUpdateInput(input: UpdateApiTokenInput): TokenUpdate {
  const change: TokenUpdate = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badInput('name', 'cannot be null: a token always has a name');
    change.name = requiredText('name', input.name, 100);
  }
  if (input.description !== undefined) change.description = optionalText('description', input.description, 1000);
  const allowedCidrs = allowedCidrsInput('input.allowedCidrs', input.allowedCidrs);
  if (allowedCidrs !== undefined) change.allowedCidrs = allowedCidrs;
  const rateLimitPerMinute = rateLimitInput('input.rateLimitPerMinute', input.rateLimitPerMinute);
  if (rateLimitPerMinute !== undefined) change.rateLimitPerMinute = rateLimitPerMinute;
  if (Object.keys(change).length === 0) {
    throw badInput('input', 'give at least one field to change (name, description, allowedCidrs or rateLimitPerMinute)');
  }
  return change;
}
