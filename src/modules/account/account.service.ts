import { DataSource } from 'typeorm';
import type { TokenCache } from '../../auth/token-cache';
import { Principal } from '../../auth/principal';
import { badInput, notFound } from '../../errors';
import { recordAudit } from '../audit/audit';
import type { WithAuthority } from '../../auth/authority';
import { Account, AccountPolicy, policyOf } from './account.entity';
import { AccountPolicyInput } from './account.inputs';
import { ApiToken } from '../api-token/api-token.entity';
import { clock } from '../../common/clock';
import type { RequestMeta } from '../../common/request-meta';

export const MAX_LIFETIME_DAYS = 3650;
export const MAX_ACTIVE_TOKENS_LIMIT = 10_000;
/** The inactivity clean-up tells the owner this many days before it revokes a token. */
export const INACTIVITY_NOTICE_DAYS = 7;
/** The shortest revokeUnusedAfterDays: longer than the notice, so a token is never warned about on its first day. */
export const MIN_UNUSED_DAYS = INACTIVITY_NOTICE_DAYS + 1;

/** Validate a complete policy (the stored one with the input applied). */
export function validatePolicy(p: AccountPolicy): AccountPolicy {
  if (!Number.isInteger(p.maxActiveTokens) || p.maxActiveTokens < 1 || p.maxActiveTokens > MAX_ACTIVE_TOKENS_LIMIT) {
    throw badInput('maxActiveTokens', `must be between 1 and ${MAX_ACTIVE_TOKENS_LIMIT}`);
  }
  for (const field of ['defaultTokenLifetimeDays', 'maxTokenLifetimeDays'] as const) {
    const v = p[field];
    if (v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_LIFETIME_DAYS)) {
      throw badInput(field, `must be between 1 and ${MAX_LIFETIME_DAYS} days, or null`);
    }
  }
  if (p.maxTokenLifetimeDays !== null) {
    if (p.defaultTokenLifetimeDays === null) {
      throw badInput('defaultTokenLifetimeDays', 'cannot be null (never expire) while maxTokenLifetimeDays is set');
    }
    if (p.defaultTokenLifetimeDays > p.maxTokenLifetimeDays) {
      throw badInput('defaultTokenLifetimeDays', `must not exceed maxTokenLifetimeDays (${p.maxTokenLifetimeDays})`);
    }
  }
  const days = p.expiryNotificationDays;
  if (days.length > 10) throw badInput('expiryNotificationDays', 'may list at most 10 thresholds');
  if (days.some((d) => !Number.isInteger(d) || d < 0 || d > 365)) {
    throw badInput('expiryNotificationDays', 'each threshold must be between 0 and 365 days');
  }
  if (new Set(days).size !== days.length) throw badInput('expiryNotificationDays', 'must not repeat a threshold');
  const unused = p.revokeUnusedAfterDays ?? null;
  if (unused !== null && (!Number.isInteger(unused) || unused < MIN_UNUSED_DAYS || unused > MAX_LIFETIME_DAYS)) {
    throw badInput('revokeUnusedAfterDays', `must be between ${MIN_UNUSED_DAYS} and ${MAX_LIFETIME_DAYS} days (the owner is told ${INACTIVITY_NOTICE_DAYS} days before), or null`);
  }
  return { ...p, expiryNotificationDays: [...days].sort((a, b) => b - a) };
}

export class AccountService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly withAuthority: WithAuthority<Account>,
    /** Told after commit of every policy change, so caches everywhere read the account's tokens again. */
    private readonly tokenCache?: TokenCache,
  ) {}

  async get(principal: Principal): Promise<Account> {
    const account = await this.dataSource.getRepository(Account).findOneBy({ id: principal.accountId });
    if (!account) throw notFound('Account');
    return account;
  }

  async updatePolicy(principal: Principal, input: AccountPolicyInput, meta: RequestMeta): Promise<AccountPolicy> {
    for (const field of ['maxActiveTokens', 'tokenCreation', 'expiryNotificationDays'] as const) {
      if (input[field] === null) throw badInput(field, 'cannot be null');
    }
    const policy = await this.withAuthority(principal, meta, 'admin', async (em, actor, account) => {
      const next = validatePolicy({
        ...policyOf(account),
        ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
      } as AccountPolicy);
      await recordAudit(em, {
        accountId: account.id,
        action: 'account.policy_updated',
        principal: actor,
        meta,
        targetType: 'account',
        targetId: account.id,
        details: { from: policyOf(account), to: next },
      });
      const thresholdsChanged = next.expiryNotificationDays.join(',') !== account.expiryNotificationDays.join(',');
      Object.assign(account, next);
      await em.save(account);
      if (thresholdsChanged) {
        // Different thresholds: the scheduler looks at every pending token of the account again on its next pass
        // (a notice already sent is never repeated; see ExpiryNotifier).
        await em
          .createQueryBuilder()
          .update(ApiToken)
          .set({ nextNoticeAt: clock.now() })
          .where("accountId = :accountId AND storedStatus = 'ACTIVE' AND expiresAt IS NOT NULL", { accountId: account.id })
          .updateEntity(false)
          .execute();
      }
      return policyOf(account);
    });
    // A policy can shorten what tokens may do or how long they live: every cache reads the account's tokens again.
    this.tokenCache?.invalidateAccount(principal.accountId);
    return policy;
  }
}
