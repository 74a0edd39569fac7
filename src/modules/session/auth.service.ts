import { DataSource, EntityManager, IsNull } from 'typeorm';
import { MAX_PASSWORD_BYTES, PasswordHasher, validatePassword } from '../../auth/passwords';
import { digestRefreshToken, newRefreshToken, REFRESH_PREFIX, REFRESH_TOKEN_TTL_SECONDS, SessionTokens } from '../../auth/session-tokens';
import { scopesFor } from '../../authz/scopes';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { Role } from '../../common/roles';
import { canonicalEmail, normalizeEmail, requiredText } from '../../common/validation';
import { badInput, conflict, forbidden, unauthenticated } from '../../errors';
import type { Principal } from '../../auth/principal';
import { endOtherSessions } from './session.service';
import { Account } from '../account/account.entity';
import type { TokenCache } from '../../auth/token-cache';
import { SignUpInput } from '../user/user.inputs';
import { User, UserKind, UserStatus } from '../user/user.entity';
import { EmailConflicts } from '../user/email-conflicts';
import { EmailTaken, withUniqueEmail } from '../user/user.errors';
import { auditLoginFailure, auditSession, auditUser, recordAudit } from '../audit/audit';
import { AuthPayload } from './auth-payload.type';
import { POLICIES, throttleKey, ThrottleService } from '../throttle/throttle.service';
import { RefreshToken, Session } from './session.entity';
import type { RequestMeta } from '../../common/request-meta';

const BAD_LOGIN = 'Invalid e-mail or password';
const LOCKED_OUT = 'Too many failed sign-in attempts; wait before trying again';
const BAD_REFRESH = 'Invalid or expired refresh token; log in again';

export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly tokens: SessionTokens,
    private readonly throttle: ThrottleService,
    private readonly conflicts: EmailConflicts,
    /** Told when a session ends, so an in-process gateway forgets it at once. */
    private readonly tokenCache?: TokenCache,
  ) {}

  /**
   * A new account whose first user is its OWNER, signed in. A taken address is
   * refused (CONFLICT), and those refusals are rationed per client IP.
   */
  async signUp(input: SignUpInput, meta: RequestMeta): Promise<AuthPayload> {
    const accountName = requiredText('accountName', input.accountName, 100);
    const email = normalizeEmail('email', input.email);
    const name = requiredText('name', input.name, 100);
    validatePassword(input.password);
    const counters = this.conflicts.counters(meta.ip);
    await this.conflicts.assertOpen(counters);
    const passwordHash = await this.hasher.hash(input.password);
    const taken = () => this.conflicts.refuse({ email, via: 'sign_up', meta, counters });
    return withUniqueEmail(
      () =>
        this.dataSource.transaction(async (em) => {
          if (await em.getRepository(User).existsBy({ email })) throw new EmailTaken();
          const account = await em.save(em.getRepository(Account).create({ id: newId(), name: accountName }));
          const user = await em.save(
            em.getRepository(User).create({
              id: newId(),
              accountId: account.id,
              email,
              kind: UserKind.PERSON,
              name,
              role: Role.OWNER,
              status: UserStatus.ACTIVE,
              passwordHash,
              deactivatedAt: null,
            }),
          );
          await recordAudit(em, {
            accountId: account.id,
            action: 'user.created',
            actorId: user.id,
            targetType: 'user',
            targetId: user.id,
            details: { role: Role.OWNER, signUp: true },
            meta,
          });
          return this.startSession(em, user, meta);
        }),
      taken,
    );
  }

  /** Unknown e-mail and wrong password answer alike, after a bcrypt comparison either way. */
  async login(emailInput: string, password: string, meta: RequestMeta): Promise<AuthPayload> {
    if (emailInput.trim() === '') throw badInput('email', 'must not be empty');
    if (password === '') throw badInput('password', 'must not be empty');
    // The form addresses are stored in (NFC, lower case): an address typed in NFD finds its user.
    const email = canonicalEmail(emailInput);
    // Brute force: failures counted per address (whether or not it exists, so the lock reveals nothing)
    // and per client IP, in the database so every replica shares them; locked before any bcrypt work.
    const counters = [
      { key: throttleKey('login:email', email), policy: POLICIES.loginPerAccount },
      ...(meta.ip ? [{ key: throttleKey('login:ip', meta.ip), policy: POLICIES.loginPerIp }] : []),
    ];
    await this.throttle.assertOpen(
      counters.map((c) => c.key),
      LOCKED_OUT,
    );
    const found = email.length <= 254 ? await this.dataSource.getRepository(User).findOneBy({ email }) : null;
    // MySQL's utf8mb4_unicode_ci matches "jürgen@…" to "jurgen@…" (and "ß" to "ss"): only the exact address is this user.
    // A service account never signs in: its address (if it has one) is answered like an unknown one.
    const user = found && found.email === email && found.kind === UserKind.PERSON ? found : null;
    // Exactly one bcrypt comparison whatever the outcome: a password too long to ever match would otherwise
    // skip it for a known address only, and the quick answer would reveal that the address exists.
    const comparable = Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
    const ok = user && comparable ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verifyAgainstNothing(password);
    if (!user || !ok) {
      await auditLoginFailure(this.dataSource, user, user ? 'wrong_password' : 'unknown_email', meta);
      await this.throttle.fail(counters);
      throw unauthenticated(BAD_LOGIN);
    }
    await this.throttle.succeed(counters[0].key);
    if (user.status !== UserStatus.ACTIVE) {
      await auditLoginFailure(this.dataSource, user, 'user_deactivated', meta);
      throw unauthenticated('This user has been deactivated; ask an administrator of your account');
    }
    return this.dataSource.transaction((em) => this.startSession(em, user, meta));
  }

  /**
   * Exchange a refresh token for a new pair. Each refresh token works once: the
   * exchange marks it used with a conditional UPDATE, so of two concurrent
   * exchanges only one wins; presenting a used token again means it leaked,
   * and the whole session (every token of the family) is revoked.
   */
  async refresh(refreshToken: string, meta: RequestMeta): Promise<AuthPayload> {
    if (refreshToken.trim() === '') throw badInput('refreshToken', 'must not be empty');
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 100) throw unauthenticated(BAD_REFRESH);
    const tokenHash = digestRefreshToken(refreshToken);
    const now = clock.now();
    const outcome = await this.dataSource.transaction(async (em) => {
      const row = await em.getRepository(RefreshToken).findOneBy({ tokenHash });
      if (!row) return { error: BAD_REFRESH };
      const session = await em.getRepository(Session).findOneBy({ id: row.sessionId });
      if (!session || session.revokedAt) return { error: BAD_REFRESH };
      if (row.usedAt) {
        await this.revokeSession(em, session.id, 'refresh_token_reuse', meta);
        return { error: BAD_REFRESH, ended: session.id };
      }
      if (row.expiresAt.getTime() <= now.getTime()) return { error: BAD_REFRESH };
      const claimed = await em.createQueryBuilder().update(RefreshToken).set({ usedAt: now }).where('id = :id AND usedAt IS NULL', { id: row.id }).execute();
      if (claimed.affected !== 1) {
        await this.revokeSession(em, session.id, 'refresh_token_reuse', meta);
        return { error: BAD_REFRESH, ended: session.id };
      }
      const user = await em.getRepository(User).findOneBy({ id: session.userId });
      if (!user || user.status !== UserStatus.ACTIVE) return { error: BAD_REFRESH };
      await recordAudit(em, { accountId: user.accountId, action: 'session.refreshed', actorId: user.id, targetType: 'session', targetId: session.id, meta });
      return { payload: await this.issue(em, user, session.id) };
    });
    // The reuse revocation must be committed, so the error is thrown outside the transaction.
    if ('error' in outcome) {
      if ('ended' in outcome && outcome.ended) this.tokenCache?.sessionEnded(outcome.ended);
      throw unauthenticated(outcome.error);
    }
    return outcome.payload;
  }

  /** End the session the refresh token belongs to. Always true: no oracle for token validity. */
  async logout(refreshToken: string, meta: RequestMeta): Promise<boolean> {
    if (refreshToken.trim() === '') throw badInput('refreshToken', 'must not be empty');
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 100) return true;
    const row = await this.dataSource.getRepository(RefreshToken).findOneBy({ tokenHash: digestRefreshToken(refreshToken) });
    if (row) {
      await this.dataSource.transaction((em) => this.revokeSession(em, row.sessionId, 'logout', meta));
      this.tokenCache?.sessionEnded(row.sessionId);
    }
    return true;
  }

  /**
   * Change the caller's own password. Only with a session (an API token must not be able to take
   * over the account). The current password is checked like a sign-in: through the bcrypt queue,
   * counted against the same brute-force counters as sign-in for this e-mail address and client IP,
   * audited when wrong. On success every other session of the user ends; API tokens keep working.
   * Two concurrent changes from the same current password: the first wins, the other gets CONFLICT.
   */
  async changePassword(p: Principal, currentPassword: string, newPassword: string, meta: RequestMeta): Promise<boolean> {
    if (p.via !== 'session') throw forbidden('Sign in with your password to change it: an API token cannot');
    if (currentPassword === '') throw badInput('currentPassword', 'must not be empty');
    validatePassword(newPassword, 'newPassword');
    if (newPassword === currentPassword) throw badInput('newPassword', 'must differ from the current password');
    const user = await this.dataSource.getRepository(User).findOneBy({ id: p.userId, accountId: p.accountId });
    if (!user || user.status !== UserStatus.ACTIVE || !user.email) throw unauthenticated();
    const counters = [
      { key: throttleKey('login:email', user.email), policy: POLICIES.loginPerAccount },
      ...(meta.ip ? [{ key: throttleKey('login:ip', meta.ip), policy: POLICIES.loginPerIp }] : []),
    ];
    await this.throttle.assertOpen(
      counters.map((c) => c.key),
      LOCKED_OUT,
    );
    if (!(await this.hasher.verify(currentPassword, user.passwordHash))) {
      await auditLoginFailure(this.dataSource, user, 'wrong_current_password', meta);
      await this.throttle.fail(counters);
      throw badInput('currentPassword', 'is not your current password');
    }
    await this.throttle.succeed(counters[0].key);
    const passwordHash = await this.hasher.hash(newPassword);
    const changed = await this.dataSource.transaction(async (em) => {
      // Conditional on the hash just verified: of two concurrent changes only one applies.
      const r = await em
        .createQueryBuilder()
        .update(User)
        .set({ passwordHash, updatedAt: clock.now() })
        .where('id = :id AND passwordHash = :old', { id: user.id, old: user.passwordHash })
        .execute();
      if (r.affected !== 1) return false;
      const ended = await endOtherSessions(em, p, 'password_changed', meta);
      await auditUser(em, p, meta, 'user.password_changed', user, { otherSessionsEnded: ended });
      return true;
    });
    if (!changed) throw conflict('Your password was changed by another request meanwhile; sign in again with the new one');
    // The other sessions ended: caches everywhere forget the user's verdicts (the current session is read again).
    this.tokenCache?.invalidateUser(user.id);
    return true;
  }

  private async revokeSession(em: EntityManager, sessionId: string, reason: string, meta: RequestMeta): Promise<void> {
    const ended = await em.getRepository(Session).update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: clock.now(), revokedReason: reason });
    if (ended.affected) await auditSession(em, sessionId, 'session.ended', reason, meta);
  }

  private async startSession(em: EntityManager, user: User, meta: RequestMeta): Promise<AuthPayload> {
    const session = await em.save(em.getRepository(Session).create({ id: newId(), userId: user.id, accountId: user.accountId, revokedAt: null, revokedReason: null }));
    await recordAudit(em, { accountId: user.accountId, action: 'session.created', actorId: user.id, targetType: 'session', targetId: session.id, meta });
    return this.issue(em, user, session.id);
  }

  private async issue(em: EntityManager, user: User, sessionId: string): Promise<AuthPayload> {
    const now = clock.now();
    const refreshToken = newRefreshToken();
    const refreshTokenExpiresAt = new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000);
    await em.save(
      em.getRepository(RefreshToken).create({
        id: newId(),
        sessionId,
        tokenHash: digestRefreshToken(refreshToken),
        expiresAt: refreshTokenExpiresAt,
        usedAt: null,
      }),
    );
    const access = await this.tokens.issueAccessToken({ userId: user.id, accountId: user.accountId, sessionId }, now);
    return Object.assign(new AuthPayload(), {
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
      principal: { userId: user.id, accountId: user.accountId, role: user.role, via: 'session', sessionId, scopes: scopesFor(user.role) },
    });
  }
}
