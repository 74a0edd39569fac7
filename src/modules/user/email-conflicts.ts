import { DataSource } from 'typeorm';
import type { Principal } from '../../auth/principal';
import { clock } from '../../common/clock';
import { conflict } from '../../errors';
import { recordAudit } from '../audit/audit';
import { POLICIES, RateLimitedError, throttleKey, ThrottleService } from '../throttle/throttle.service';
import { User } from './user.entity';
import { EMAIL_UNAVAILABLE } from './user.errors';
import type { RequestMeta } from '../../common/request-meta';

const PROBES_LIMITED = 'Too many new users refused here for a taken e-mail address; wait before trying again';

export type ConflictVia = 'sign_up' | 'create_user';

/**
 * signUp and createUser must refuse an address that is already registered,
 * in this account or another, and that refusal tells the caller the address
 * is registered somewhere. So it is rationed like failed sign-ins: refusals are
 * counted per client IP (both mutations share the counter) and per signed-in
 * caller (createUser), in the database counters every replica shares; once the
 * free refusals are used up the caller is locked out of both mutations for a
 * while (RATE_LIMITED), before any password is hashed. Each refusal is
 * audited.
 */
export class EmailConflicts {
  constructor(
    private readonly dataSource: DataSource,
    private readonly throttle: ThrottleService,
  ) {}

  counters(ip: string | undefined, principal?: Principal) {
    return [
      ...(ip ? [{ key: throttleKey('email-conflict:ip', ip), policy: POLICIES.emailConflictPerIp }] : []),
      ...(principal ? [{ key: throttleKey('email-conflict:user', principal.userId), policy: POLICIES.emailConflictPerActor }] : []),
    ];
  }

  /** RATE_LIMITED while the caller's address or user is locked out. */
  assertOpen(counters: Array<{ key: string }>): Promise<void> {
    return this.throttle.assertOpen(
      counters.map((c) => c.key),
      PROBES_LIMITED,
    );
  }

  /**
   * Answer a taken address: audit it, count it, and refuse with CONFLICT, or
   * with RATE_LIMITED when this refusal used up the caller's free ones (so at
   * most the free number of refusals is ever answered per window).
   */
  async refuse(o: { email: string; via: ConflictVia; principal?: Principal; meta: RequestMeta; counters: ReturnType<EmailConflicts['counters']> }): Promise<never> {
    const lockedUntil = await this.throttle.fail(o.counters);
    await this.audit(o.email, o.via, o.meta, o.principal);
    const now = clock.nowMs();
    if (lockedUntil > now) throw new RateLimitedError(PROBES_LIMITED, Math.ceil((lockedUntil - now) / 1000));
    throw conflict(EMAIL_UNAVAILABLE);
  }

  /**
   * The registered user's account gets the event (target: that user; actor:
   * the caller only when they belong to it, so no account learns another's
   * user ids), like a failed sign-in on a known address. A caller from
   * another account gets it in their own trail, with the address they tried
   * and no target. An anonymous sign-up probe is recorded only in the user's
   * account.
   */
  private async audit(email: string, via: ConflictVia, meta: RequestMeta, principal?: Principal): Promise<void> {
    const action = 'user.email_conflict';
    await this.dataSource.transaction(async (em) => {
      const existing = await em.getRepository(User).findOne({ where: { email }, select: { id: true, accountId: true } });
      const sameAccount = Boolean(principal && existing && existing.accountId === principal.accountId);
      if (existing) {
        await recordAudit(em, {
          accountId: existing.accountId,
          action,
          principal: sameAccount ? principal : null,
          meta,
          targetType: 'user',
          targetId: existing.id,
          reason: via,
        });
      }
      if (principal && !sameAccount) {
        await recordAudit(em, { accountId: principal.accountId, action, principal, meta, reason: via, details: { email } });
      } else if (!existing && !principal) {
        // The user vanished between the refusal and here: keep the probe, with no account.
        await recordAudit(em, { accountId: null, action, meta, reason: via });
      }
    });
  }
}
