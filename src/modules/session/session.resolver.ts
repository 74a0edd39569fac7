import { Arg, Mutation, Resolver, Ctx } from 'type-graphql';
import type { Context } from '../../context';
import { SignUpInput } from '../user/user.inputs';
import { AuthPayload } from './auth-payload.type';

@Resolver()
export class SessionResolver {
  @Mutation(() => AuthPayload, { description: 'Create an account; the caller becomes its OWNER and is signed in' })
  signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.signUp(input, ctx.ip).then((p) => actAs(ctx, p));
  }

  @Mutation(() => AuthPayload)
  login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.login(email, password, ctx.ip).then((p) => actAs(ctx, p));
  }

  @Mutation(() => AuthPayload, { description: 'Exchange a refresh token (once) for a new pair' })
  refreshSession(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: Context): Promise<AuthPayload> {
    return ctx.services.auth.refresh(refreshToken).then((p) => actAs(ctx, p));
  }

  @Mutation(() => Boolean, { description: 'End the session of this refresh token' })
  logout(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.auth.logout(refreshToken);
  }
}

/** The rest of this request (the payload's user fields) is answered for the user who just signed in. */
function actAs(ctx: Context, payload: AuthPayload): AuthPayload {
  ctx.actAs(payload.principal);
  return payload;
}
