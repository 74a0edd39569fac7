import { Field, InputType, Int } from 'type-graphql';
import { TokenCreationPolicy } from './account.entity';

@InputType({ description: 'Fields to change; omitted fields keep their value, null clears a nullable one' })
export class AccountPolicyInput {
  @Field(() => Int, { nullable: true })
  maxActiveTokens?: number | null;

  @Field(() => TokenCreationPolicy, { nullable: true })
  tokenCreation?: TokenCreationPolicy | null;

  @Field(() => Int, { nullable: true, description: 'null = tokens never expire by default' })
  defaultTokenLifetimeDays?: number | null;

  @Field(() => Int, { nullable: true, description: 'null = unlimited' })
  maxTokenLifetimeDays?: number | null;

  @Field(() => [Int], { nullable: true })
  expiryNotificationDays?: number[] | null;

  @Field(() => Int, { nullable: true, description: '8 to 3650 days; null = off' })
  revokeUnusedAfterDays?: number | null;
}
