import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Principal } from '../../auth/principal';
import { TokenCache } from '../../auth/token-cache';
import { digestSecret, generateSecret, generateUsername, isWellFormedSecret } from '../../auth/token-format';
import type { KnownSecrets } from '../../auth/known-secrets';
import { clock, DAY_MS } from '../../common/clock';
import { newId } from '../../common/ids';
import { countUpTo, decodeCursor, Page, toPage, validatePageSize } from '../../common/pagination';
import { isAdminRole, minRole, Role, roleAtLeast } from '../../common/roles';
import { optionalText, requiredText, searchText } from '../../common/validation';
import type { WithAuthority } from '../../auth/authority';
import { AppError, badInput, conflict, forbidden, notFound } from '../../errors';
import { Account, policyOf, TokenCreationPolicy } from '../account/account.entity';
import { User, UserStatus } from '../user/user.entity';
import { ApiToken, tokenStatus, TokenStatus } from './api-token.entity';
import { ApiTokenTrigram } from './api-token-trigram.entity';
import { indexTokenText, rarestTrigrams } from './search/trigrams';
import { visibleApiTokens } from './api-token.visibility';
import { ApiTokenFilter, CreateApiTokenInput, CreatedApiToken, RegenerateApiTokenArgs, RevokeApiTokensResult } from './api-token.inputs';
import { TokenUpdate, UpdateApiTokenInput, validateUpdateInput } from './api-token.update';
import { NotificationKind } from '../notification/notification.entity';
import { LEAK_REPORT_ACTOR, noticeOwner } from '../notification/owner-notice';
import { allowedCidrsInput, assertMaySetRateLimit, rateLimitInput } from './api-token.access';
import { firstNoticeAt, resolveExpiry } from './expiry';
import { leakReportPolicy, RateLimitedError, throttleKey, ThrottlePolicy, ThrottleService } from '../throttle/throttle.service';
import { supportsRowLocks } from '../../db/locks';
import { recordAudit } from '../audit/audit';
import { resolveRequestedScopes } from '../scope/scope.service';
import { enqueueWebhookEvent, WebhookEventType } from '../webhook/webhook-events';
import type { RequestMeta } from '../../common/request-meta';

/** Non-secret facts about a token, for audit details and webhook payloads. */
export function tokenSummary(t: ApiToken, now: Date) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    environment: t.environment,
    status: tokenStatus(t, now),
    ownerId: t.ownerId,
    createdById: t.createdById,
    expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
  };
}

/** The audit event and the webhook deliveries of one token change, in the change's own transaction. */
export async function tokenChanged(
  em: EntityManager,
  principal: Principal | null,
  /** The request's; null for the scheduler's own changes. */
  meta: RequestMeta | null,
  event: WebhookEventType,
  token: ApiToken,
  now: Date,
  details: Record<string, unknown> = {},
  /** A system's reason (leak_report, inactive): the audit row's `reason`. */
  systemReason?: string,
): Promise<void> {
  const summary = tokenSummary(token, now);
  await recordAudit(em, {
    accountId: token.accountId,
    action: event,
    principal,
    meta,
    actorId: principal ? principal.userId : null,
    targetType: 'api_token',
    targetId: token.id,
    // A system's reason (leak_report, inactive) is the audit row's reason; a person's words stay in the details.
    ...(systemReason ? { reason: systemReason } : {}),
    details: {
      name: token.name,
      role: token.role,
      environment: token.environment,
      ownerId: token.ownerId,
      expiresAt: summary.expiresAt,
      ...(token.catalogScopes?.length ? { scopes: token.catalogScopes } : {}),
      ...details,
    },
  });
  await enqueueWebhookEvent(em, token.accountId, event, { token: summary, actorId: principal?.userId ?? null, ...details }, now);
}

export const EXPIRING_SOON_DAYS = 7;
export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;
/** The most tokens one revokeApiTokens call revokes (in one transaction). */
export const BULK_REVOKE_LIMIT = 1000;
const ENVIRONMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Who may create and regenerate tokens under each policy. */
const CREATION_FLOOR: Record<TokenCreationPolicy, Role> = {
  ALL_MEMBERS: Role.READ_ONLY,
  ADMINS_ONLY: Role.ADMIN,
  OWNER_ONLY: Role.OWNER,
};

/** Whether a caller of this (effective) role may create and regenerate tokens under the policy. */
export const mayMint = (role: Role, policy: TokenCreationPolicy): boolean => roleAtLeast(role, CREATION_FLOOR[policy]);

function assertMayMint(principal: Principal, policy: TokenCreationPolicy): void {
  if (!mayMint(principal.role, policy)) {
    throw forbidden(`This account's token policy (${policy}) does not let your role (${principal.role}) create or regenerate tokens`);
  }
}

/**
 * A token acts as its owner, and whoever holds its secret is that owner. So
 * a caller may issue a token for another user, or regenerate one of theirs
 * (which hands out a new secret), only as OWNER/ADMIN and only for a user
 * whose current role is not above their own: never an OWNER's by an ADMIN.
 * Revoking and deleting give no secret and stay open to admins.
 */
function assertMayIssueFor(principal: Principal, owner: { id: string; role: Role }): void {
  if (owner.id === principal.userId) return;
  if (!isAdminRole(principal.role)) throw forbidden('Only OWNER and ADMIN may issue or regenerate tokens for another user');
  if (!roleAtLeast(principal.role, owner.role)) {
    throw forbidden(`You cannot issue or regenerate tokens for a user whose role (${owner.role}) is above yours (${principal.role})`);
  }
}

function environmentOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const v = value.trim();
  if (!ENVIRONMENT_RE.test(v)) throw badInput('environment', 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  return v;
}

/** Token names are unique per owner regardless of letter case. */
const foldName = (name: string): string => name.normalize('NFC').toLowerCase();

/** The search term, normalised and checked; null when there is none. Names and descriptions are stored in NFC: a search typed in NFD must find them. */
function searchTerm(f: ApiTokenFilter): string | null {
  if (f.search === undefined || f.search === null || f.search.trim() === '') return null;
  const s = searchText(f.search);
  if (s.length > 100) throw badInput('filter.search', 'must be at most 100 characters');
  return s;
}

/** The index that serves an account-wide listing with this filter in id order (every secondary index ends in id). */
function listingIndex(f: ApiTokenFilter): string {
  if (f.owner) return 'idx_api_token_owner';
  if (f.issuedBy) return 'idx_api_token_created_by';
  if (f.role?.length === 1) return 'idx_api_token_account_role';
  if (f.environment != null) return 'idx_api_token_account_environment';
  const statuses = f.status ?? [];
  if (statuses.length === 1 && [TokenStatus.REVOKED, TokenStatus.DELETED, TokenStatus.DISABLED].includes(statuses[0])) return 'idx_api_token_account_status';
  if (f.expiringWithinDays != null) return 'idx_api_token_account_status';
  return 'idx_api_token_account';
}

/**
 * The search index's join (search/trigrams.ts): `t` must have each of `trigrams` (rarest first), walked by the
 * rarest one's primary key (accountId, trigram, tokenId), so ordering by g0.tokenId is index order.
 */
function joinTrigrams(qb: SelectQueryBuilder<ApiToken>, accountId: string, trigrams: number[]): void {
  trigrams.forEach((trigram, i) => {
    const on = i === 0 ? 'g0.tokenId = t.id AND g0.accountId = :trigramAccountId' : `g${i}.accountId = g0.accountId AND g${i}.tokenId = g0.tokenId`;
    qb.innerJoin(ApiTokenTrigram, `g${i}`, `${on} AND g${i}.trigram = :g${i}`, { [`g${i}`]: trigram, trigramAccountId: accountId });
  });
}

export const isExpiringSoon = (t: ApiToken, now: Date): boolean =>
  tokenStatus(t, now) === TokenStatus.ACTIVE && t.expiresAt !== null && t.expiresAt.getTime() - now.getTime() <= EXPIRING_SOON_DAYS * DAY_MS;

/**
 * The API token lifecycle. Every method takes the caller's principal and
 * scopes its SQL to the caller's account and visibility, so another account's
 * token (or one the caller may not see) is simply not found.
 */
export class ApiTokenService {
  private readonly leakPolicy: ThrottlePolicy;

  constructor(
    private readonly dataSource: DataSource,
    private readonly withAuthority: WithAuthority<Account>,
    private readonly cache: TokenCache,
    private readonly throttle: ThrottleService,
    leakReportsPerMinute: number,
    /** GATEWAY_RATE_LIMIT_PER_TOKEN: the limit a token without its own has (0 = none), which only OWNER/ADMIN may exceed. */
    private readonly defaultRateLimitPerMinute: number,
    /** The authenticator's memory of usable secrets: a token issued here works at once from a locked address. */
    private readonly knownSecrets?: KnownSecrets,
  ) {
    this.leakPolicy = leakReportPolicy(leakReportsPerMinute);
  }

  /** The verification cache this service invalidates on every change (the inactivity clean-up does the same). */
  get tokenCache(): TokenCache {
    return this.cache;
  }

  /** The tokens the principal may see (api-token.visibility.ts). */
  private visible(qb: SelectQueryBuilder<ApiToken>, principal: Principal): SelectQueryBuilder<ApiToken> {
    return visibleApiTokens(qb, principal, 't');
  }

  private findVisible(em: EntityManager, principal: Principal, id: string, lock = false): Promise<ApiToken | null> {
    const qb = this.visible(em.getRepository(ApiToken).createQueryBuilder('t'), principal).andWhere('t.id = :id', { id });
    if (lock && supportsRowLocks(em)) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  get(principal: Principal, id: string): Promise<ApiToken | null> {
    return this.findVisible(this.dataSource.manager, principal, id);
  }

  /**
   * Newest first, by keyset (id < cursor). OWNER and ADMIN page through the
   * account with one indexed query. Everyone else sees the tokens they own or
   * issued: one indexed query for each half, merged here, because a single
   * query with `ownerId = me OR createdById = me` makes the database gather and
   * sort every such token for each page.
   */
  async list(principal: Principal, filter: ApiTokenFilter | null | undefined, first?: number | null, after?: string | null): Promise<Page<ApiToken>> {
    const size = validatePageSize(first);
    const afterId = decodeCursor(after);
    const now = clock.now();
    const f = filter ?? {};
    // A search of three characters or more uses the search index (search/trigrams.ts). OWNER and ADMIN walk
    // the tokens having the term's rarest trigram, newest first, each checked for the next two rarest by
    // primary key and then against the real LIKE (applyFilter): the cost follows that trigram, not the account.
    // When even the rarest is in 500 tokens or more (TRIGRAM_COUNT_CAP), the listing's walk finds a page sooner.
    // Everyone else walks their own tokens newest first as for any filter, with the LIKE alone: that set is
    // theirs, not the account's (joined to the trigrams, MariaDB may start from a rare trigram and sort).
    // A shorter term walks the listing's index. A trigram none of the account's tokens has answers at once.
    const term = searchTerm(f);
    const trigrams = term === null ? [] : await rarestTrigrams(this.dataSource.manager, principal.accountId, term);
    if (trigrams === null) return toPage([], size, async () => 0); // a trigram no token of the account has
    const admin = isAdminRole(principal.role);
    const byTrigram = admin && trigrams.length > 0;
    const idColumn = byTrigram ? 'g0.tokenId' : 't.id';
    const matching = () => {
      const qb = this.dataSource.getRepository(ApiToken).createQueryBuilder('t');
      if (byTrigram) joinTrigrams(qb, principal.accountId, trigrams);
      qb.where('t.accountId = :accountId', { accountId: principal.accountId });
      this.applyFilter(qb, f, now);
      return qb;
    };
    // The index each query walks, newest first, named for MySQL: left to itself the optimiser may walk the
    // primary key backwards and filter by account, which reads the whole table for an account with old tokens.
    // An account-wide search walks the trigram's primary key instead, and reads each token by its own.
    const halves = admin
      ? [byTrigram ? matching() : matching().useIndex(listingIndex(f))]
      : [
          matching().andWhere('t.ownerId = :me', { me: principal.userId }).useIndex('idx_api_token_owner'),
          matching().andWhere('t.createdById = :me AND t.ownerId <> :me', { me: principal.userId }).useIndex('idx_api_token_created_by'),
        ];
    const counting = halves.map((qb) => qb.clone());
    const page = async (qb: SelectQueryBuilder<ApiToken>) => {
      if (afterId) qb.andWhere(`${idColumn} < :afterId`, { afterId });
      return qb
        .orderBy(idColumn, 'DESC')
        .limit(size + 1)
        .getMany();
    };
    const rows =
      size === 0
        ? []
        : (await Promise.all(halves.map(page)))
            .flat()
            .sort((a, b) => (a.id < b.id ? 1 : -1))
            .slice(0, size + 1);
    return toPage(rows, size, async (limit) => {
      let n = 0;
      for (const qb of counting) n += await countUpTo(qb, limit);
      return n;
    });
  }

  /** For the exclamation mark: the caller's visible tokens expiring within 7 days, and those already expired. */
  async alerts(principal: Principal): Promise<{ expiringSoonCount: number; expiredCount: number }> {
    const now = clock.now();
    const count = (filter: ApiTokenFilter) => {
      const qb = this.visible(this.dataSource.getRepository(ApiToken).createQueryBuilder('t'), principal);
      this.applyFilter(qb, filter, now);
      return qb.getCount();
    };
    const expiringSoonCount = await count({ expiringWithinDays: EXPIRING_SOON_DAYS });
    const expiredCount = await count({ status: [TokenStatus.EXPIRED] });
    return { expiringSoonCount, expiredCount };
  }

  private applyFilter(qb: SelectQueryBuilder<ApiToken>, f: ApiTokenFilter, now: Date): void {
    if (f.issuedBy) qb.andWhere('t.createdById = :issuedBy', { issuedBy: f.issuedBy });
    if (f.owner) qb.andWhere('t.ownerId = :owner', { owner: f.owner });
    if (f.role) {
      if (f.role.length === 0) throw badInput('filter.role', 'must list at least one role, or be omitted');
      qb.andWhere('t.role IN (:...roles)', { roles: f.role });
    }
    if (f.environment !== undefined && f.environment !== null) {
      // Case-insensitive and still indexed: MySQL's unicode_ci collation compares so already; SQLite needs NOCASE
      // (ASCII folding, which is what environments are made of).
      const nocase = qb.connection.options.type === 'better-sqlite3' ? ' COLLATE NOCASE' : '';
      qb.andWhere(`t.environment = :environment${nocase}`, { environment: f.environment.trim() });
    }
    if (f.expiringWithinDays !== undefined && f.expiringWithinDays !== null) {
      const d = f.expiringWithinDays;
      if (!Number.isInteger(d) || d < 0 || d > 3650) throw badInput('filter.expiringWithinDays', 'must be between 0 and 3650');
      qb.andWhere("t.storedStatus = 'ACTIVE' AND t.expiresAt > :now AND t.expiresAt <= :horizon", {
        now,
        horizon: new Date(now.getTime() + d * DAY_MS),
      });
    }
    const s = searchTerm(f);
    if (s !== null) {
      const pattern = `%${s.replace(/[!%_]/g, (c) => '!' + c)}%`;
      qb.andWhere("(t.name LIKE :pattern ESCAPE '!' OR t.description LIKE :pattern ESCAPE '!')", { pattern });
    }
    this.applyLastUsed(qb, f);
    const requested = f.status ?? [TokenStatus.ACTIVE, TokenStatus.DISABLED, TokenStatus.EXPIRED, TokenStatus.REVOKED];
    if (requested.length === 0) throw badInput('filter.status', 'must list at least one status, or be omitted');
    // As stored values (EXPIRED is a stored ACTIVE or DISABLED past its expiry), so the database can use its indexes.
    const statuses = new Set(requested);
    const expired = statuses.has(TokenStatus.EXPIRED);
    const stored = [
      ...(statuses.has(TokenStatus.ACTIVE) || expired ? [TokenStatus.ACTIVE] : []),
      ...(statuses.has(TokenStatus.DISABLED) || expired ? [TokenStatus.DISABLED] : []),
      ...(statuses.has(TokenStatus.REVOKED) ? [TokenStatus.REVOKED] : []),
      ...(statuses.has(TokenStatus.DELETED) ? [TokenStatus.DELETED] : []),
    ];
    qb.andWhere('t.storedStatus IN (:...stored)', { stored });
    // A stored ACTIVE or DISABLED token is EXPIRED once its expiry has passed: keep the halves that were asked for.
    for (const live of [TokenStatus.ACTIVE, TokenStatus.DISABLED]) {
      if (statuses.has(live) && !expired) qb.andWhere(`(t.storedStatus <> '${live}' OR t.expiresAt IS NULL OR t.expiresAt > :now)`, { now });
      if (expired && !statuses.has(live)) qb.andWhere(`(t.storedStatus <> '${live}' OR t.expiresAt <= :now)`, { now });
    }
  }

  /** lastUsedBefore, lastUsedAfter, neverUsed. */
  private applyLastUsed(qb: SelectQueryBuilder<ApiToken>, f: ApiTokenFilter): void {
    const before = f.lastUsedBefore ?? null;
    const after = f.lastUsedAfter ?? null;
    for (const [field, d] of [
      ['lastUsedBefore', before],
      ['lastUsedAfter', after],
    ] as const) {
      if (d && Number.isNaN(d.getTime())) throw badInput(`filter.${field}`, 'is not a valid date-time');
    }
    if (before && after && after.getTime() >= before.getTime()) throw badInput('filter.lastUsedAfter', 'must be earlier than lastUsedBefore');
    if (f.neverUsed === true && (before || after)) throw badInput('filter.neverUsed', 'cannot be combined with lastUsedBefore or lastUsedAfter (a token never used has no last use)');
    if (before) qb.andWhere('t.lastUsedAt < :lastUsedBefore', { lastUsedBefore: before });
    if (after) qb.andWhere('t.lastUsedAt >= :lastUsedAfter', { lastUsedAfter: after });
    if (f.neverUsed === true) qb.andWhere('t.lastUsedAt IS NULL');
    if (f.neverUsed === false) qb.andWhere('t.lastUsedAt IS NOT NULL');
  }

  async create(principal: Principal, input: CreateApiTokenInput, meta: RequestMeta): Promise<CreatedApiToken> {
    const name = requiredText('name', input.name, 100);
    const description = optionalText('description', input.description, 1000);
    const environment = environmentOf(input.environment);
    const allowedCidrs = allowedCidrsInput('allowedCidrs', input.allowedCidrs) ?? [];
    const rateLimitPerMinute = rateLimitInput('rateLimitPerMinute', input.rateLimitPerMinute) ?? null;
    const now = clock.now();
    const generated = generateSecret();
    // The account row lock serialises creates per account: the limit and name checks below are exact;
    // `actor` is the caller read again after it.
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor, account) => {
      const policy = policyOf(account);
      assertMayMint(actor, policy.tokenCreation);

      const ownerId = input.ownerId ?? actor.userId;
      // Look the owner up in the caller's account first: a user of another account is NOT_FOUND, never FORBIDDEN.
      const owner = await em.getRepository(User).findOneBy({ id: ownerId, accountId: actor.accountId });
      if (!owner) throw notFound('User');
      assertMayIssueFor(actor, owner);
      if (owner.status !== UserStatus.ACTIVE) throw badInput('ownerId', 'this user is deactivated');

      const ceiling = minRole(actor.role, owner.role);
      const role = input.role ?? ceiling;
      if (!roleAtLeast(ceiling, role)) {
        throw forbidden(`A token's role cannot be above ${ceiling} (the lower of your role and the owner's)`);
      }
      assertMaySetRateLimit(actor, rateLimitPerMinute, null, this.defaultRateLimitPerMinute);
      const expiresAt = resolveExpiry(input, policy, now);
      const catalogScopes = await resolveRequestedScopes(em, actor, owner.role, role, input.scopes);

      // Names compare case-insensitively in the application, not by the database's collation
      // (MySQL's unicode_ci would also equate "cafe" and "café"; SQLite is case-sensitive).
      const taken = await em
        .getRepository(ApiToken)
        .createQueryBuilder('t')
        .select('t.name', 'name')
        .where("t.ownerId = :ownerId AND t.storedStatus <> 'DELETED'", { ownerId })
        .getRawMany<{ name: string }>();
      const folded = foldName(name);
      if (taken.some((t) => foldName(t.name) === folded)) {
        throw conflict('is already used by another token of this user; choose another name', 'name');
      }

      const active = await this.countActive(em, actor.accountId, now, policy.maxActiveTokens);
      if (active >= policy.maxActiveTokens) {
        throw new AppError('TOKEN_LIMIT_REACHED', `The account already has ${active} active tokens, its limit (${policy.maxActiveTokens}); revoke one first`, {
          limit: policy.maxActiveTokens,
        });
      }
      const saved = await em.save(
        em.getRepository(ApiToken).create({
          id: newId(),
          accountId: actor.accountId,
          ownerId,
          createdById: actor.userId,
          name,
          description,
          username: generateUsername(),
          hint: generated.hint,
          role,
          environment,
          storedStatus: TokenStatus.ACTIVE,
          secretHash: generated.digest,
          previousSecretHash: null,
          previousSecretExpiresAt: null,
          expiresAt,
          nextNoticeAt: firstNoticeAt(expiresAt, account.expiryNotificationDays),
          lastUsedAt: null,
          useCount: 0,
          lastUsedIps: [],
          catalogScopes,
          allowedCidrs,
          rateLimitPerMinute,
          revokedAt: null,
          revokedById: null,
          regeneratedAt: null,
          deletedAt: null,
        }),
      );
      await indexTokenText(em, saved, true); // the search index, in the same transaction
      await tokenChanged(em, actor, meta, 'token.created', saved, now);
      return saved;
    });
    this.knownSecrets?.add(generated.digest);
    return Object.assign(new CreatedApiToken(), { token, secret: generated.secret });
  }

  /** ACTIVE tokens of the account, counted no further than `limit` (the policy's maximum). */
  private countActive(em: EntityManager, accountId: string, now: Date, limit: number): Promise<number> {
    return countUpTo(
      em.getRepository(ApiToken).createQueryBuilder('t').where("t.accountId = :accountId AND t.storedStatus = 'ACTIVE' AND (t.expiresAt IS NULL OR t.expiresAt > :now)", { accountId, now }),
      limit,
      em,
    );
  }

  async regenerate(principal: Principal, args: RegenerateApiTokenArgs, meta: RequestMeta): Promise<CreatedApiToken> {
    const grace = args.gracePeriodSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      throw badInput('gracePeriodSeconds', `must be between 0 and ${MAX_GRACE_SECONDS} (7 days)`);
    }
    const now = clock.now();
    const generated = generateSecret();
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor, account) => {
      const token = await this.findVisible(em, actor, args.id, true);
      if (!token) throw notFound('API token');
      const status = tokenStatus(token, now);
      if (status !== TokenStatus.ACTIVE) throw badInput('id', `a ${status.toLowerCase()} token cannot be regenerated; create a new one`);
      const policy = policyOf(account);
      assertMayMint(actor, policy.tokenCreation);
      if (!roleAtLeast(actor.role, token.role)) {
        throw forbidden(`You cannot regenerate a token whose role (${token.role}) is above yours (${actor.role})`);
      }
      if (token.ownerId !== actor.userId) {
        // The owner's current role: a user promoted since the token was issued is judged as they are now.
        const owner = await em.getRepository(User).findOneBy({ id: token.ownerId, accountId: actor.accountId });
        if (!owner) throw notFound('API token');
        assertMayIssueFor(actor, owner);
      }
      const expiresAt = resolveExpiry(args, policy, now, true);
      if (expiresAt !== undefined) {
        token.expiresAt = expiresAt;
        token.nextNoticeAt = firstNoticeAt(expiresAt, account.expiryNotificationDays); // a new expiry starts a new series
      }
      token.previousSecretHash = grace > 0 ? token.secretHash : null;
      token.previousSecretExpiresAt = grace > 0 ? new Date(now.getTime() + grace * 1000) : null;
      token.secretHash = generated.digest;
      token.hint = generated.hint;
      token.regeneratedAt = now;
      const saved = await em.save(token);
      await tokenChanged(em, actor, meta, 'token.regenerated', saved, now, { gracePeriodSeconds: grace });
      await noticeOwner(em, { kind: NotificationKind.TOKEN_REGENERATED, token: saved, actorId: actor.userId, at: now });
      return saved;
    });
    this.cache.invalidateToken(token.id);
    this.knownSecrets?.add(generated.digest);
    return Object.assign(new CreatedApiToken(), { token, secret: generated.secret });
  }

  /** The allowlist and rate-limit part of an update: checks who may, applies, and returns what changed (from → to). */
  private applyAccessChanges(actor: Principal, token: ApiToken, access: TokenUpdate): Record<string, { from: unknown; to: unknown }> {
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (access.allowedCidrs !== undefined && JSON.stringify(access.allowedCidrs) !== JSON.stringify(token.allowedCidrs ?? [])) {
      changes.allowedCidrs = { from: token.allowedCidrs ?? [], to: access.allowedCidrs };
      token.allowedCidrs = access.allowedCidrs;
    }
    if (access.rateLimitPerMinute !== undefined && access.rateLimitPerMinute !== token.rateLimitPerMinute) {
      assertMaySetRateLimit(actor, access.rateLimitPerMinute, token.rateLimitPerMinute, this.defaultRateLimitPerMinute);
      changes.rateLimitPerMinute = { from: token.rateLimitPerMinute, to: access.rateLimitPerMinute };
      token.rateLimitPerMinute = access.rateLimitPerMinute;
    }
    return changes;
  }

  async revoke(principal: Principal, id: string, meta: RequestMeta): Promise<ApiToken> {
    const now = clock.now();
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor) => {
      const token = await this.findVisible(em, actor, id, true);
      if (!token) throw notFound('API token');
      if (token.storedStatus === TokenStatus.DELETED) throw badInput('id', 'this token is deleted');
      if (token.storedStatus === TokenStatus.REVOKED) return token;
      this.markRevoked(token, now, actor.userId);
      const saved = await em.save(token);
      await tokenChanged(em, actor, meta, 'token.revoked', saved, now);
      await noticeOwner(em, { kind: NotificationKind.TOKEN_REVOKED, token: saved, actorId: actor.userId, at: now });
      return saved;
    });
    this.cache.invalidateToken(token.id);
    return token;
  }

  /**
   * updateApiToken: rename a token, change its description, its IP allowlist or its own rate limit, for
   * whoever may manage it (OWNER/ADMIN, its owner, its issuer; raising a limit is OWNER/ADMIN's). A deleted
   * token is history and cannot be changed. One transaction, audited and sent as token.updated with what
   * changed (from → to); the verification cache forgets the token at once.
   */
  async update(principal: Principal, id: string, input: UpdateApiTokenInput, meta: RequestMeta): Promise<ApiToken> {
    const change = validateUpdateInput(input);
    const now = clock.now();
    const updated = await this.withAuthority(principal, meta, 'writer', async (em, actor) => {
      const token = await this.findVisible(em, actor, id, true);
      if (!token) throw notFound('API token');
      if (token.storedStatus === TokenStatus.DELETED) throw badInput('id', 'this token is deleted');
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (change.name !== undefined && change.name !== token.name) {
        const folded = foldName(change.name);
        if (folded !== foldName(token.name)) {
          const taken = await em
            .getRepository(ApiToken)
            .createQueryBuilder('t')
            .select('t.name', 'name')
            .where("t.ownerId = :ownerId AND t.storedStatus <> 'DELETED' AND t.id <> :id", { ownerId: token.ownerId, id: token.id })
            .getRawMany<{ name: string }>();
          if (taken.some((t) => foldName(t.name) === folded)) {
            throw conflict('is already used by another token of this user; choose another name', 'name');
          }
        }
        changes.name = { from: token.name, to: change.name };
        token.name = change.name;
      }
      if (change.description !== undefined && change.description !== token.description) {
        changes.description = { from: token.description, to: change.description };
        token.description = change.description;
      }
      Object.assign(changes, this.applyAccessChanges(actor, token, change));
      if (Object.keys(changes).length === 0) return token; // nothing new: no audit row, no event
      const saved = await em.save(token);
      if (changes.name || changes.description) await indexTokenText(em, saved); // the search index, in the same transaction
      await tokenChanged(em, actor, meta, 'token.updated', saved, now, { changes });
      return saved;
    });
    // The next request is judged by the new allowlist and limit.
    this.cache.invalidateToken(updated.id);
    return updated;
  }

  /**
   * Pause a token: refused like a revoked one from the moment this returns, on every path (the cache
   * entry is dropped and the in-process gateway told), until enable() brings it back with the same
   * secret. Only an ACTIVE token can be disabled; disabling a disabled one changes nothing. No expiry
   * notices go out while it is disabled.
   */
  async disable(principal: Principal, id: string, meta: RequestMeta): Promise<ApiToken> {
    const now = clock.now();
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor) => {
      const token = await this.findVisible(em, actor, id, true);
      if (!token) throw notFound('API token');
      const status = tokenStatus(token, now);
      if (status === TokenStatus.DISABLED) return token;
      if (status !== TokenStatus.ACTIVE) throw badInput('id', `a ${status.toLowerCase()} token cannot be disabled`);
      token.storedStatus = TokenStatus.DISABLED;
      token.disabledAt = now;
      token.disabledById = actor.userId;
      token.nextNoticeAt = null;
      const saved = await em.save(token);
      await tokenChanged(em, actor, meta, 'token.disabled', saved, now);
      await noticeOwner(em, { kind: NotificationKind.TOKEN_DISABLED, token: saved, actorId: actor.userId, at: now });
      return saved;
    });
    this.cache.invalidateToken(token.id);
    return token;
  }

  /**
   * Bring a disabled token back with the same secret. It counts against the account's active-token
   * limit again, so the limit is checked as for a new token. A token someone else disabled can be
   * enabled only by OWNER/ADMIN: an admin's pause is not undone by the token's holder. An expired
   * token stays expired.
   */
  async enable(principal: Principal, id: string, meta: RequestMeta): Promise<ApiToken> {
    const now = clock.now();
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor, account) => {
      const token = await this.findVisible(em, actor, id, true);
      if (!token) throw notFound('API token');
      const status = tokenStatus(token, now);
      if (status === TokenStatus.ACTIVE) return token;
      if (status !== TokenStatus.DISABLED) throw badInput('id', `a ${status.toLowerCase()} token cannot be enabled`);
      if (token.disabledById && token.disabledById !== actor.userId && !isAdminRole(actor.role)) {
        throw forbidden('Only OWNER and ADMIN may enable a token that someone else disabled');
      }
      const policy = policyOf(account);
      const active = await this.countActive(em, actor.accountId, now, policy.maxActiveTokens);
      if (active >= policy.maxActiveTokens) {
        throw new AppError('TOKEN_LIMIT_REACHED', `The account already has ${active} active tokens, its limit (${policy.maxActiveTokens}); revoke one first`, {
          limit: policy.maxActiveTokens,
        });
      }
      token.storedStatus = TokenStatus.ACTIVE;
      token.disabledAt = null;
      token.disabledById = null;
      // Notices resume; one that fell due while it was paused goes out on the next pass (never one already sent).
      token.nextNoticeAt = firstNoticeAt(token.expiresAt, account.expiryNotificationDays);
      const saved = await em.save(token);
      await tokenChanged(em, actor, meta, 'token.enabled', saved, now);
      return saved;
    });
    // A verdict cached while it was disabled (here or in the in-process gateway) must not outlive the change.
    this.cache.invalidateToken(token.id);
    this.knownSecrets?.add(token.secretHash);
    return token;
  }

  /**
   * OWNER/ADMIN: revoke every ACTIVE or DISABLED token of the account that the filter matches, oldest
   * first, at most BULK_REVOKE_LIMIT per call, in one transaction: all or none. Each token gets its own
   * audit row and token.revoked event (with `bulk: true` and the reason), and its owner a notice when
   * it is not the caller's.
   */
  async revokeMany(principal: Principal, filter: ApiTokenFilter, reasonInput: string | null | undefined, meta: RequestMeta): Promise<RevokeApiTokensResult> {
    const reason = optionalText('reason', reasonInput, 200);
    const requested = filter.status ?? [TokenStatus.ACTIVE, TokenStatus.DISABLED];
    const refused = requested.find((st) => st !== TokenStatus.ACTIVE && st !== TokenStatus.DISABLED);
    if (refused) throw badInput('filter.status', `only ACTIVE and DISABLED tokens can be revoked (not ${refused})`);
    const now = clock.now();
    const { revoked, capped } = await this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      // As the listing walks (list() above): a search term's rarest trigrams, or the filter's own index, oldest
      // first. Under the row lock, what the statement reads it locks: a scan of the account would lock every token.
      const term = searchTerm(filter);
      const trigrams = term === null ? [] : await rarestTrigrams(em, actor.accountId, term);
      if (trigrams === null) return { revoked: [], capped: false };
      const qb = em.getRepository(ApiToken).createQueryBuilder('t');
      if (trigrams.length > 0) joinTrigrams(qb, actor.accountId, trigrams);
      else qb.useIndex(listingIndex({ ...filter, status: requested }));
      this.visible(qb, actor);
      this.applyFilter(qb, { ...filter, status: requested }, now);
      const idColumn = trigrams.length > 0 ? 'g0.tokenId' : 't.id';
      qb.orderBy(idColumn, 'ASC').limit(BULK_REVOKE_LIMIT + 1);
      if (supportsRowLocks(em)) qb.setLock('pessimistic_write');
      const rows = await qb.getMany();
      const batch = rows.slice(0, BULK_REVOKE_LIMIT);
      for (const token of batch) {
        this.markRevoked(token, now, actor.userId);
        await em
          .createQueryBuilder()
          .update(ApiToken)
          .set({
            storedStatus: TokenStatus.REVOKED,
            revokedAt: now,
            revokedById: actor.userId,
            disabledAt: null,
            disabledById: null,
            nextNoticeAt: null,
            previousSecretHash: null,
            previousSecretExpiresAt: null,
            updatedAt: now,
          })
          .where('id = :id', { id: token.id })
          .updateEntity(false)
          .execute();
        await tokenChanged(em, actor, meta, 'token.revoked', token, now, { bulk: true, ...(reason ? { reason } : {}) });
        await noticeOwner(em, { kind: NotificationKind.TOKEN_REVOKED, token, actorId: actor.userId, at: now, reason });
      }
      return { revoked: batch.map((t) => t.id), capped: rows.length > BULK_REVOKE_LIMIT };
    });
    for (const id of revoked) this.cache.invalidateToken(id);
    return Object.assign(new RevokeApiTokensResult(), { count: revoked.length, capped });
  }

  async delete(principal: Principal, id: string, meta: RequestMeta): Promise<string> {
    const now = clock.now();
    const token = await this.withAuthority(principal, meta, 'writer', async (em, actor) => {
      const token = await this.findVisible(em, actor, id, true);
      if (!token) throw notFound('API token');
      const status = tokenStatus(token, now);
      if (status === TokenStatus.DELETED) return token;
      if (status === TokenStatus.ACTIVE || status === TokenStatus.DISABLED) {
        throw badInput('id', `this token is ${status.toLowerCase()}: revoke it first, then delete it`);
      }
      token.storedStatus = TokenStatus.DELETED;
      token.deletedAt = now;
      token.nextNoticeAt = null;
      token.previousSecretHash = null;
      token.previousSecretExpiresAt = null;
      const saved = await em.save(token);
      await tokenChanged(em, actor, meta, 'token.deleted', saved, now);
      return saved;
    });
    this.cache.invalidateToken(token.id);
    return token.id;
  }

  /**
   * For secret scanners (GitHub's credential-revocation API): anyone may report
   * a leaked secret. The answer is always true, valid or not, so it is no
   * oracle; reports are rate limited per client IP.
   */
  async revokeLeaked(secret: string, meta: RequestMeta): Promise<boolean> {
    // A malformed value costs nothing to refuse (and is answered true, like everything else).
    if (!isWellFormedSecret(secret)) return true;
    // Well-formed reports are counted in the database, so the limit holds across replicas.
    const key = throttleKey('leak:ip', meta.ip ?? 'unknown');
    const limited = 'Too many leaked-token reports from this address; try again in a minute';
    await this.throttle.assertOpen([key], limited);
    const lockedUntil = await this.throttle.fail([{ key, policy: this.leakPolicy }]);
    if (lockedUntil > clock.nowMs()) throw new RateLimitedError(limited, Math.ceil((lockedUntil - clock.nowMs()) / 1000));
    const digest = digestSecret(secret);
    const now = clock.now();
    const revokedId = await this.dataSource.transaction(async (em) => {
      const qb = em.getRepository(ApiToken).createQueryBuilder('t').where('t.secretHash = :digest OR (t.previousSecretHash = :digest AND t.previousSecretExpiresAt > :now)', { digest, now });
      if (supportsRowLocks(em)) qb.setLock('pessimistic_write');
      const token = await qb.getOne();
      // A paused token is live too: its secret is out, so a leak report ends it.
      if (!token || (token.storedStatus !== TokenStatus.ACTIVE && token.storedStatus !== TokenStatus.DISABLED)) return null;
      this.markRevoked(token, now, null);
      await em.save(token);
      await tokenChanged(em, null, meta, 'token.revoked', token, now, { reason: 'leak_report' }, 'leak_report');
      await noticeOwner(em, { kind: NotificationKind.TOKEN_REVOKED, token, actorId: null, actorLabel: LEAK_REPORT_ACTOR, at: now, reason: 'leak_report' });
      return token.id;
    });
    if (revokedId) this.cache.invalidateToken(revokedId);
    return true;
  }

  private markRevoked(token: ApiToken, now: Date, by: string | null): void {
    token.storedStatus = TokenStatus.REVOKED;
    token.disabledAt = null;
    token.disabledById = null;
    token.revokedAt = now;
    token.revokedById = by;
    token.nextNoticeAt = null;
    token.previousSecretHash = null;
    token.previousSecretExpiresAt = null;
  }
}
