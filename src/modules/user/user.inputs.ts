import { Field, InputType } from 'type-graphql';
import { Role } from '../../common/roles';

@InputType()
export class SignUpInput {
  @Field({ description: '1 to 100 characters' })
  accountName!: string;

  @Field()
  email!: string;

  @Field({ description: 'At least 12 characters and at most 72 bytes' })
  password!: string;

  @Field({ description: '1 to 100 characters' })
  name!: string;
}

@InputType()
export class CreateUserInput {
  @Field()
  email!: string;

  @Field()
  name!: string;

  @Field({ description: 'At least 12 characters and at most 72 bytes' })
  password!: string;

  @Field(() => Role, { description: 'At most your own role' })
  role!: Role;
}
