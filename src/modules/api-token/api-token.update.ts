import { Field, InputType } from 'type-graphql';
import { badInput } from '../../errors';
import { optionalText, requiredText } from '../../common/validation';

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
}

/** The validated change: only the fields that were given. */
export interface TokenUpdate {
  name?: string;
  description?: string | null;
}

/** Checks the input's shape and values (not uniqueness, which needs the database). */
export function validateUpdateInput(input: UpdateApiTokenInput): TokenUpdate {
  const change: TokenUpdate = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badInput('name', 'cannot be null: a token always has a name');
    change.name = requiredText('name', input.name, 100);
  }
  if (input.description !== undefined) change.description = optionalText('description', input.description, 1000);
  if (Object.keys(change).length === 0) throw badInput('input', 'give at least one field to change (name or description)');
  return change;
}
