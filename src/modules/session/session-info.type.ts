import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Session', { description: "One of the caller's signed-in sessions (a login and its refreshes). Never carries a token." })
export class SessionInfo {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'When the session signed in' })
  createdAt!: Date;

  @Field({ description: 'When it signed in or last renewed its tokens' })
  lastActiveAt!: Date;

  @Field(() => String, { nullable: true, description: 'Client address of its sign-in or latest renewal' })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'Browser or client of its sign-in or latest renewal' })
  userAgent!: string | null;

  @Field({ description: 'The session this request was made with' })
  current!: boolean;
}
