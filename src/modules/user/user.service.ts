import { DataSource, EntityManager, Not } from 'typeorm';
import { PasswordHasher, validatePassword } from '../../auth/passwords';
import { Principal } from '../../auth/principal';
import { TokenCache } from '../../auth/token-cache';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { decodeCursor, Page, pageById, validatePageSize } from '../../common/pagination';
import { Role, roleAtLeast } from '../../common/roles';
import { normalizeEmail, requiredText } from '../../common/validation';
import { auditUser } from '../audit/audit';
import type { WithAuthority } from '../../auth/authority';
import type { Account } from '../account/account.entity';
import { conflict, forbidden, notFound } from '../../errors';
import { Session } from '../session/session.entity';
import { CreateServiceAccountInput, CreateUserInput } from './user.inputs';
import { EmailConflicts } from './email-conflicts';
import { EmailTaken, withUniqueEmail } from './user.errors';
import { SERVICE_ACCOUNT_PASSWORD_HASH, User, UserKind, UserStatus } from './user.entity';
import { visibleUsers } from './user.visibility';
import type { RequestMeta } from '../../common/request-meta';

export class UserService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly withAuthority: WithAuthority<Account>,
    private readonly hasher: PasswordHasher,
    private readonly tokenCache: TokenCache,
    private readonly conflicts: EmailConflicts,
  ) {}

  /** Admins list the whole account; everyone else only themselves. Oldest first. */
  async list(principal: Principal, first: number | null | undefined, after: string | null | undefined, kind?: UserKind | null): Promise<Page<User>> {
    const size = validatePageSize(first);
    const afterId = decodeCursor(after);
    const qb = visibleUsers(this.dataSource.getRepository(User).createQueryBuilder('u'), principal, 'u');
    if (kind) qb.andWhere('u.kind = :kind', { kind });
    return pageById(qb, size, afterId, 'ASC');
  }

  /** A taken address is refused (CONFLICT); those refusals are rationed per client IP and per caller. */
  async create(principal: Principal, input: CreateUserInput, meta: RequestMeta): Promise<User> {
    const email = normalizeEmail('email', input.email);
    const name = requiredText('name', input.name, 100);
    validatePassword(input.password);
    if (!roleAtLeast(principal.role, input.role)) throw forbidden(`You cannot create a user with role ${input.role}, above your own`);
    const counters = this.conflicts.counters(meta.ip, principal);
    await this.conflicts.assertOpen(counters);
    const passwordHash = await this.hasher.hash(input.password);
    const taken = () => this.conflicts.refuse({ email, via: 'create_user', principal, meta, counters });
    return withUniqueEmail(
      () =>
        this.withAuthority(principal, meta, 'admin', async (em, actor) => {
          if (!roleAtLeast(actor.role, input.role)) throw forbidden(`You cannot create a user with role ${input.role}, above your own`);
          if (await em.getRepository(User).existsBy({ email })) throw new EmailTaken();
          const user = em.getRepository(User).create({
            id: newId(),
            accountId: principal.accountId,
            email,
            kind: UserKind.PERSON,
            name,
            role: input.role,
            status: UserStatus.ACTIVE,
            passwordHash,
            deactivatedAt: null,
          });
          await auditUser(em, actor, meta, 'user.created', user, { email, role: input.role });
          return em.save(user);
        }),
      taken,
    );
  }

  /**
   * A service account: no password (a stored hash no password matches, and login answers for it as for an
   * unknown address), so it acts only through the tokens admins issue for it. Its e-mail address is
   * optional; when given it is checked like createUser's (a taken address is CONFLICT, rationed alike).
   */
  async createServiceAccount(principal: Principal, input: CreateServiceAccountInput, meta: RequestMeta): Promise<User> {
    const name = requiredText('name', input.name, 100);
    const email = input.email === null || input.email === undefined || input.email.trim() === '' ? null : normalizeEmail('email', input.email);
    if (!roleAtLeast(principal.role, input.role)) throw forbidden(`You cannot create a service account with role ${input.role}, above your own`);
    const counters = email ? this.conflicts.counters(meta.ip, principal) : null;
    if (counters) await this.conflicts.assertOpen(counters);
    const create = () =>
      this.withAuthority(principal, meta, 'admin', async (em, actor) => {
        if (!roleAtLeast(actor.role, input.role)) throw forbidden(`You cannot create a service account with role ${input.role}, above your own`);
        if (email && (await em.getRepository(User).existsBy({ email }))) throw new EmailTaken();
        const user = em.getRepository(User).create({
          id: newId(),
          accountId: actor.accountId,
          email,
          kind: UserKind.SERVICE,
          name,
          role: input.role,
          status: UserStatus.ACTIVE,
          passwordHash: SERVICE_ACCOUNT_PASSWORD_HASH,
          deactivatedAt: null,
        });
        await auditUser(em, actor, meta, 'user.created', user, { kind: UserKind.SERVICE, role: input.role, ...(email ? { email } : {}) });
        return em.save(user);
      });
    if (!email || !counters) return create();
    return withUniqueEmail(create, () => this.conflicts.refuse({ email, via: 'create_user', principal, meta, counters }));
  }

  async updateRole(principal: Principal, id: string, role: Role, meta: RequestMeta): Promise<User> {
    return this.changeUser(principal, meta, id, async (em, user, actor) => {
      if (!roleAtLeast(actor.role, role)) throw forbidden(`You cannot grant role ${role}, above your own`);
      if (user.role === role) return user;
      if (user.role === Role.OWNER && user.status === UserStatus.ACTIVE) await this.assertAnotherOwner(em, user);
      await auditUser(em, actor, meta, 'user.role_changed', user, { from: user.role, to: role });
      user.role = role;
      return em.save(user);
    });
  }

  async deactivate(principal: Principal, id: string, meta: RequestMeta): Promise<User> {
    return this.changeUser(principal, meta, id, async (em, user, actor) => {
      if (user.status === UserStatus.DEACTIVATED) return user;
      if (user.role === Role.OWNER) await this.assertAnotherOwner(em, user);
      user.status = UserStatus.DEACTIVATED;
      user.deactivatedAt = clock.now();
      await auditUser(em, actor, meta, 'user.deactivated', user);
      await em.createQueryBuilder().update(Session).set({ revokedAt: clock.now(), revokedReason: 'user_deactivated' }).where('userId = :id AND revokedAt IS NULL', { id: user.id }).execute();
      return em.save(user);
    });
  }

  async reactivate(principal: Principal, id: string, meta: RequestMeta): Promise<User> {
    return this.changeUser(principal, meta, id, async (em, user, actor) => {
      if (user.status === UserStatus.ACTIVE) return user;
      user.status = UserStatus.ACTIVE;
      user.deactivatedAt = null;
      await auditUser(em, actor, meta, 'user.reactivated', user);
      return em.save(user);
    });
  }

  /**
   * Shared frame for admin changes to a user: the account row is locked (so
   * the "one active OWNER" rule holds under concurrency) and the caller read
   * again after it (withAuthority: `actor` is the caller as they are now), the
   * target must be in the caller's account (else NOT_FOUND) and not outrank
   * the caller, and the token cache forgets the user before the mutation returns.
   */
  private async changeUser(principal: Principal, meta: RequestMeta, id: string, change: (em: EntityManager, user: User, actor: Principal) => Promise<User>): Promise<User> {
    const user = await this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      const target = await em.getRepository(User).findOneBy({ id, accountId: actor.accountId });
      if (!target) throw notFound('User');
      if (!roleAtLeast(actor.role, target.role)) throw forbidden(`You cannot change a user whose role (${target.role}) is above yours`);
      return change(em, target, actor);
    });
    this.tokenCache.invalidateUser(user.id);
    return user;
  }

  private async assertAnotherOwner(em: EntityManager, user: User): Promise<void> {
    // A person: a service account can not sign in, so it cannot stand in for the account's OWNER.
    const others = await em.getRepository(User).countBy({
      accountId: user.accountId,
      role: Role.OWNER,
      kind: UserKind.PERSON,
      status: UserStatus.ACTIVE,
      id: Not(user.id),
    });
    if (others === 0) throw conflict('An account must keep at least one active OWNER: promote another user to OWNER first');
  }
}
