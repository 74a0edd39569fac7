import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { principalOf } from '../../common/principal-of';
import type { Context } from '../../context';
import { SignUpInput } from '../user/user.inputs';
import { AuthPayload } from './auth-payload.type';
import { SessionInfo } from './session-info.type';

@Resolver()
export class SessionResolver {
  @Mutation(() => AuthPayload, { description: 'Create an account; the caller becomes its OWNER and is signed in' })
  signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.signUp(input, ctx.meta).then((p) => actAs(ctx, p));
  }

  @Mutation(() => AuthPayload)
  login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.login(email, password, ctx.meta).then((p) => actAs(ctx, p));
  }

  @Mutation(() => AuthPayload, { description: 'Exchange a refresh token (once) for a new pair' })
  refreshSession(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.refresh(refreshToken, ctx.meta).then((p) => actAs(ctx, p));
  }

  @Mutation(() => Boolean, { description: 'End the session of this refresh token' })
  logout(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.auth.logout(refreshToken, ctx.meta);
  }

  @Mutation(() => Boolean, {
    description:
      "Change the caller's password (session only). Wrong current passwords count against sign-in's brute-force limits; every other session of the user ends, API tokens keep working.",
  })
  changePassword(
    @Arg('currentPassword') currentPassword: string,
    @Arg('newPassword', { description: 'At least 12 characters and at most 72 bytes' }) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.auth.changePassword(principalOf(ctx), currentPassword, newPassword, ctx.meta);
  }

  @Query(() => [SessionInfo], { description: "The caller's signed-in sessions that can still act, newest first (at most 100)" })
  sessions(@Ctx() ctx: Context): Promise<SessionInfo[]> {
    return ctx.services.sessions.list(principalOf(ctx));
  }

  @Mutation(() => ID, { description: "End one of the caller's sessions at once (the current one signs out)" })
  revokeSession(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    return ctx.services.sessions.revoke(principalOf(ctx), id, ctx.meta);
  }

  @Mutation(() => Int, { description: 'End every session of the caller except the current one; returns how many ended' })
  revokeOtherSessions(@Ctx() ctx: Context): Promise<number> {
    return ctx.services.sessions.revokeOthers(principalOf(ctx), ctx.meta);
  }
}

/** The rest of this request (the payload's user fields) is answered for the user who just signed in. */
function actAs(ctx: Context, payload: AuthPayload): AuthPayload {
  ctx.actAs(payload.principal);
  return payload;
}
