import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Requests from one client address on one day' })
export class ApiTokenUsageByIp {
  @Field({ description: 'Empty when the address was unknown' })
  ip!: string;

  @Field(() => Int)
  requests!: number;
}

@ObjectType({ description: "One UTC day of a token's use, against its environment" })
export class ApiTokenUsageDay {
  @Field({ description: 'YYYY-MM-DD (UTC)' })
  date!: string;

  @Field(() => String, { nullable: true, description: "The token's environment the requests were counted against" })
  environment!: string | null;

  @Field(() => Int)
  requests!: number;

  @Field(() => [ApiTokenUsageByIp], { description: 'Most requests first' })
  byIp!: ApiTokenUsageByIp[];
}
