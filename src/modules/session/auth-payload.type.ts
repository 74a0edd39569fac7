import { Field, ObjectType } from 'type-graphql';
import type { Principal } from '../../auth/principal';
import { User } from '../user/user.entity';

@ObjectType({ description: 'A new session: a 1-hour access token and a 24-hour refresh token, rotated on use' })
export class AuthPayload {
  @Field(() => User)
  user!: User;

  @Field({ description: 'Send as "Authorization: Bearer <accessToken>"' })
  accessToken!: string;

  @Field()
  accessTokenExpiresAt!: Date;

  @Field({ description: 'Exchange with refreshSession; each refresh token works once' })
  refreshToken!: string;

  @Field()
  refreshTokenExpiresAt!: Date;

  /** The session this payload opened; the rest of the request acts as it. Not a GraphQL field. */
  principal!: Principal;
}
