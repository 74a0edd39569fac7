import { ArgsType, Field, InputType } from 'type-graphql';
import { PageArgs } from '../../common/pagination';
import { Role } from '../../common/roles';
import { UserKind } from './user.entity';

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

@InputType({ description: 'A service account: a user that never signs in and acts only through the API tokens issued for it' })
export class CreateServiceAccountInput {
  @Field({ description: '1 to 100 characters, e.g. "CI deploy"' })
  name!: string;

  @Field(() => Role, { description: 'At most your own role; its tokens act with at most this role' })
  role!: Role;

  @Field(() => String, { nullable: true, description: "Optional contact address for its expiry notices; unique like every user's. It cannot sign in with it." })
  email?: string | null;
}

@ArgsType()
export class UsersArgs extends PageArgs {
  @Field(() => UserKind, { nullable: true, description: 'Only people (PERSON) or only service accounts (SERVICE); default: both' })
  kind?: UserKind | null;
}
