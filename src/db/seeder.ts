import { createHash, createHmac } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { secretFromRandom, SECRET_PREFIX, USERNAME_PREFIX } from '../auth/token-format';
import { DAY_MS } from '../common/clock';
import { Role } from '../common/roles';
import { sha256 } from '../common/sha256';
import { tokenTrigrams } from '../modules/api-token/search/trigrams';
import { SecretBox } from '../modules/webhook/webhook-crypto';

/**
 * Fills a MySQL/MariaDB database with realistic Tokengate data, quickly and
 * deterministically: the same options (seed, counts, reference time) give the
 * same rows. Rows are what the service itself writes: token secrets in the
 * real format with their SHA-256 digests (re-derivable with seededSecret, so
 * benchmarks can authenticate as any seeded token), webhook secrets encrypted
 * under the service's signing key, roles and statuses the service allows.
 *
 * Multi-row INSERTs of up to BATCH rows, COMMIT_EVERY statements per
 * transaction; the next batch is generated while the previous one runs.
 */
export interface SeedOptions {
  accounts: number;
  /** Tokens in all, the big account's included. */
  tokens: number;
  /** Tokens of the first account (the "big account"); the rest are spread over the others. */
  bigAccount: number;
  audit: number;
  /** Daily usage rows (token, day, ip); default: one per token. */
  usage?: number;
  /** 'skewed' (default): a few large accounts, many small ones; 'uniform': the same number in each. */
  spread?: 'skewed' | 'uniform';
  seed: string;
  /** Reference time: expiries, ages and usage days are relative to it. */
  now: Date;
  /** The service's SESSION_SIGNING_KEY (webhook secrets are encrypted under a key derived from it). */
  signingKey: string;
  /** bcrypt hash every seeded user gets (one hash: bcrypt per user would take hours). */
  passwordHash: string;
  /** Progress lines; default: none. */
  log?: (line: string) => void;
}

export interface SeedResult {
  accounts: number;
  users: number;
  tokens: number;
  audit: number;
  usage: number;
  notices: number;
  notifications: number;
  sessions: number;
  webhooks: number;
  deliveries: number;
  scopes: number;
  throttles: number;
  /** The first account's id (the big account), and its first OWNER. */
  bigAccountId: string;
  bigAccountOwnerId: string;
  seconds: number;
}

const BATCH = 2000;
const COMMIT_EVERY = 10;
export const SEED_EMAIL_DOMAIN = 'seed.tokengate.test';

/** sfc32, seeded from SHA-256: small, fast and good enough for test data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 15; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  next(): number {
    return this.u32() / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** An item by weight: [[item, weight], ...]. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1][0];
  }
  /** A UUIDv7 for this millisecond with 74 bits from the generator. */
  uuid7(at: number): string {
    const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
    const ms = Math.floor(at);
    const hi = Math.floor(ms / 2 ** 16);
    const lo = ms % 2 ** 16;
    const r1 = this.u32();
    const r2 = this.u32();
    const r3 = this.u32();
    return `${hex(hi, 8)}-${hex(lo, 4)}-7${hex(r1 & 0xfff, 3)}-${hex(0x8000 | ((r1 >>> 12) & 0x3fff), 4)}-${hex(r2, 8)}${hex(r3 & 0xffff, 4)}`;
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

function charsFrom(bytes: Buffer, length: number, alphabet: string): string {
  // 64 bytes of HMAC output, one character per byte (a small modulo bias is irrelevant for test data).
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/** The secret of a seeded token: derived from the seed and the token's id, so a benchmark can re-derive it. */
export function seededSecret(seed: string, tokenId: string): string {
  const bytes = createHmac('sha512', `tokengate-seed:${seed}`).update(`secret:${tokenId}`).digest();
  return secretFromRandom(charsFrom(bytes, 36, BASE62)).secret;
}

function seededUsername(seed: string, tokenId: string): string {
  const bytes = createHmac('sha512', `tokengate-seed:${seed}`).update(`username:${tokenId}`).digest();
  return USERNAME_PREFIX + charsFrom(bytes, 16, BASE36);
}

/** Escape-free SQL for the seeder's own identifiers. */
function insertSql(table: string, columns: readonly string[]): string {
  return `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ?`;
}

type Row = unknown[];

/** Writes rows in multi-row INSERTs, COMMIT_EVERY statements per transaction, one statement in flight. */
class BulkWriter {
  private pending: Promise<unknown> = Promise.resolve();
  private statements = 0;
  private inTransaction = false;
  constructor(private readonly runner: QueryRunner) {}

  private turn: Promise<void> = Promise.resolve();

  /** Resolves once the statement is sent (after the previous one finished); one caller at a time. */
  insert(table: string, columns: readonly string[], rows: Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const mine = this.turn.then(() => this.send(table, columns, rows));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async send(table: string, columns: readonly string[], rows: Row[]): Promise<void> {
    await this.pending;
    if (!this.inTransaction) {
      await this.runner.startTransaction();
      this.inTransaction = true;
    }
    const sent = this.runner.query(insertSql(table, columns), [rows]);
    sent.catch(() => undefined); // awaited (and thrown) by the next statement or finish()
    this.pending = sent;
    this.statements += 1;
    if (this.statements % COMMIT_EVERY === 0) {
      await this.pending;
      await this.runner.commitTransaction();
      this.inTransaction = false;
    }
  }

  async finish(): Promise<void> {
    await this.turn;
    await this.pending;
    if (this.inTransaction) await this.runner.commitTransaction();
    this.inTransaction = false;
  }
}

/** Collects rows for one table and hands them to the writer BATCH at a time. */
class TableStream {
  private rows: Row[] = [];
  count = 0;
  constructor(
    private readonly writer: BulkWriter,
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {}
  async push(row: Row): Promise<void> {
    this.rows.push(row);
    this.count += 1;
    if (this.rows.length >= BATCH) await this.flush();
  }
  async flush(): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    await this.writer.insert(this.table, this.columns, rows);
  }
}

const ROLE_RANK: Record<Role, number> = { [Role.READ_ONLY]: 0, [Role.MEMBER]: 1, [Role.ADMIN]: 2, [Role.OWNER]: 3 };
const ROLES_BY_RANK = [Role.READ_ONLY, Role.MEMBER, Role.ADMIN, Role.OWNER];
const STATUS = { ACTIVE: 0, EXPIRED: 1, REVOKED: 2, DELETED: 3 } as const;
const ENVIRONMENTS = [
  ['production', 30],
  ['staging', 20],
  ['development', 15],
  ['ci', 15],
  [null, 15],
  ['eu-west-1', 2],
  ['us-east-1', 2],
  ['sandbox', 1],
] as const;
const PURPOSES = ['ci-deploy', 'backup', 'monitoring', 'terraform', 'release', 'metrics', 'sync', 'import', 'export', 'cli', 'bot', 'nightly'];
const SYSTEMS = ['billing', 'search', 'payments', 'artifacts', 'registry', 'mobile', 'web', 'warehouse', 'ledger', 'auth', 'mailer', 'analytics', 'gateway', 'inventory'];
const DESCRIPTIONS = [
  'Used by the nightly pipeline',
  'Read-only access for dashboards',
  'Rotated every quarter by the platform team',
  'Temporary token for the migration',
  'Package registry uploads from CI',
  'Issued for an external contractor',
];
const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Guido', 'Radia', 'Tim', 'Hedy', 'Alan', 'Katherine'];
const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Rossum', 'Perlman', 'Berners-Lee', 'Lamarr', 'Turing', 'Johnson'];
const AGENTS = ['curl/8.5.0', 'Jenkins/2.440', 'npm/10.8.1', 'Go-http-client/1.1', 'python-requests/2.32', 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130'];
const FAILURE_REASONS = ['invalid_password', 'unknown_token', 'revoked_token', 'expired_token', 'deactivated_user'];
const WEBHOOK_EVENTS = ['token.expiring', 'token.expired', 'token.created', 'token.revoked', 'token.deleted', 'token.regenerated'];
const THRESHOLDS = [30, 10, 5, 1, 0];

/** Per-account token counts: the big account first, then a heavy-tailed spread (or an even one). */
function tokenCounts(o: SeedOptions, rng: Rng): number[] {
  const counts = [Math.min(o.bigAccount, o.tokens)];
  const others = o.accounts - 1;
  const rest = o.tokens - counts[0];
  if (others <= 0) return counts;
  if (o.spread === 'uniform') {
    for (let i = 0; i < others; i++) counts.push(Math.floor(rest / others) + (i < rest % others ? 1 : 0));
    return counts;
  }
  // Pareto(α = 1.3) weights, capped below the big account: many accounts with a handful of tokens, a few with thousands.
  const weights = Array.from({ length: others }, () => Math.min(1e4, Math.pow(1 - rng.next(), -1 / 1.3)));
  const total = weights.reduce((a, b) => a + b, 0);
  const cap = Math.max(1, counts[0] - 1);
  for (const w of weights) counts.push(Math.min(cap, Math.floor((w / total) * rest)));
  // Hand out what rounding and the cap left, one at a time, to accounts still under the cap.
  let assigned = counts.slice(1).reduce((a, b) => a + b, 0);
  for (let i = 1; assigned < rest; i = (i % others) + 1) {
    if (counts[i] < cap || cap * others < rest) {
      counts[i] += 1;
      assigned += 1;
    }
  }
  return counts;
}

/**
 * One table's rows on their way to the database, per table the seeder fills. Column lists and the rows
 * pushed to them stay packed (`prettier-ignore`): they are read side by side, not one value per line.
 */
function openStreams(writer: BulkWriter) {
  const stream = (table: string, columns: string[]) => new TableStream(writer, table, columns);
  // prettier-ignore
  const accounts = stream('account', ['id', 'name', 'maxActiveTokens', 'tokenCreation', 'defaultTokenLifetimeDays', 'maxTokenLifetimeDays', 'expiryNotificationDays', 'createdAt', 'updatedAt']);
  // prettier-ignore
  const users = stream('user', ['id', 'accountId', 'email', 'name', 'role', 'status', 'passwordHash', 'deactivatedAt', 'createdAt', 'updatedAt']);
  // prettier-ignore
  const tokens = stream('api_token', [
    'id', 'accountId', 'ownerId', 'createdById', 'name', 'description', 'username', 'hint', 'role', 'environment', 'storedStatus', 'secretHash',
    'previousSecretHash', 'previousSecretExpiresAt', 'expiresAt', 'lastUsedAt', 'useCount', 'lastUsedIps', 'catalogScopes', 'revokedAt', 'revokedById',
    'regeneratedAt', 'deletedAt', 'createdAt', 'updatedAt', 'nextNoticeAt',
  ]);
  // The search index, as the service writes it with every token (src/modules/api-token/search/trigrams.ts).
  const trigrams = stream('api_token_trigram', ['accountId', 'trigram', 'tokenId']);
  // prettier-ignore
  const usage = stream('api_token_usage', ['id', 'tokenId', 'accountId', 'day', 'environment', 'ip', 'requests', 'createdAt', 'updatedAt']);
  const notices = stream('token_expiry_notice', ['id', 'accountId', 'tokenId', 'tokenExpiresAt', 'thresholdDays', 'createdAt', 'updatedAt']);
  // prettier-ignore
  const notifications = stream('notification', [
    'id', 'accountId', 'userId', 'tokenId', 'kind', 'thresholdDays', 'tokenExpiresAt', 'readAt', 'emailStatus', 'emailAttempts', 'emailLockedUntil', 'createdAt', 'updatedAt',
  ]);
  const settings = stream('notification_settings', ['userId', 'accountId', 'email', 'createdAt', 'updatedAt']);
  // prettier-ignore
  const audit = stream('audit_event', ['id', 'accountId', 'action', 'actorId', 'actorTokenId', 'targetType', 'targetId', 'reason', 'ip', 'userAgent', 'details', 'createdAt', 'updatedAt']);
  const sessions = stream('session', ['id', 'userId', 'accountId', 'revokedAt', 'revokedReason', 'createdAt']);
  const refresh = stream('refresh_token', ['id', 'sessionId', 'tokenHash', 'expiresAt', 'usedAt', 'createdAt']);
  const throttles = stream('throttle', ['key', 'failures', 'windowStart', 'lockedUntil']);
  const webhooks = stream('webhook', ['id', 'accountId', 'url', 'events', 'secretCiphertext', 'createdById', 'createdAt', 'updatedAt']);
  // prettier-ignore
  const deliveries = stream('webhook_delivery', [
    'id', 'webhookId', 'accountId', 'event', 'payload', 'status', 'attemptCount', 'nextAttemptAt', 'lockedUntil', 'deliveredAt', 'attemptLog', 'createdAt', 'updatedAt',
  ]);
  const scopes = stream('account_scope', ['id', 'accountId', 'name', 'description', 'minRole', 'createdById', 'createdAt', 'updatedAt']);

  return { accounts, users, tokens, trigrams, usage, notices, notifications, settings, audit, sessions, refresh, throttles, webhooks, deliveries, scopes };
}

type Streams = ReturnType<typeof openStreams>;

/**
 * What the seeder has written so far that later rows refer to: per-token facts in typed arrays (not
 * objects), the accounts' and users' ids, and the running counts of the rows that have no stream count.
 */
interface Plan {
  o: SeedOptions;
  now: number;
  box: SecretBox;
  t: Streams;
  counts: number[];
  totalTokens: number;
  tokenIds: string[];
  tokenAccount: Uint32Array;
  tokenOwner: Uint32Array;
  tokenStatus: Uint8Array;
  /** 0 = never */
  tokenExpires: Float64Array;
  tokenEnv: Array<string | null>;
  accountIds: string[];
  accountTokenStart: number[];
  accountUserStart: number[];
  userIds: string[];
  userRole: number[];
  userAccount: number[];
  tokenIndex: number;
  scopeCount: number;
  webhookCount: number;
  deliveryCount: number;
}

const at = (ms: number) => new Date(Math.round(ms));
const randomIp = (r: Rng) => `${r.pick([10, 172, 192, 203])}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`;

/** As the service keeps it: the next threshold crossing still ahead (the notices due so far are seeded as sent). */
function noticeAt(now: number, status: number, expires: number | null): Date | null {
  if ((status !== STATUS.ACTIVE && status !== STATUS.EXPIRED) || expires === null || expires <= now - 7 * DAY_MS) return null;
  const ahead = THRESHOLDS.map((d) => expires - d * DAY_MS).filter((ms) => ms > now);
  return ahead.length ? at(Math.min(...ahead)) : null;
}

export async function seedDatabase(runner: QueryRunner, o: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  if (o.accounts < 1) throw new Error('--accounts must be at least 1');
  if (o.bigAccount < 0 || o.bigAccount > o.tokens) throw new Error('--big-account must be between 0 and --tokens');
  if (o.accounts === 1 && o.bigAccount !== o.tokens) throw new Error('with one account, --big-account must equal --tokens');
  const rng = new Rng(`${o.seed}|plan`);
  const writer = new BulkWriter(runner);
  await runner.query('SET SESSION foreign_key_checks = 0');
  await runner.query('SET SESSION unique_checks = 0');
  const t = openStreams(writer);
  const counts = tokenCounts(o, rng);
  const totalTokens = counts.reduce((a, b) => a + b, 0);
  const plan: Plan = {
    o,
    now: o.now.getTime(),
    box: new SecretBox(o.signingKey),
    t,
    counts,
    totalTokens,
    tokenIds: new Array(totalTokens),
    tokenAccount: new Uint32Array(totalTokens),
    tokenOwner: new Uint32Array(totalTokens),
    tokenStatus: new Uint8Array(totalTokens),
    tokenExpires: new Float64Array(totalTokens),
    tokenEnv: new Array(totalTokens),
    accountIds: [],
    accountTokenStart: [],
    accountUserStart: [],
    userIds: [],
    userRole: [],
    userAccount: [],
    tokenIndex: 0,
    scopeCount: 0,
    webhookCount: 0,
    deliveryCount: 0,
  };
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  log(`plan: ${o.accounts} accounts, ${totalTokens} tokens (big account ${counts[0]}), ${o.audit} audit events`);
  for (let a = 0; a < o.accounts; a++) {
    await seedAccount(plan, a);
    if (a % 1000 === 999) log(`  ${a + 1} accounts, ${plan.tokenIndex} tokens`);
  }
  for (const table of [t.accounts, t.users, t.tokens, t.trigrams, t.settings, t.sessions, t.refresh, t.scopes, t.webhooks, t.deliveries]) await table.flush();
  log(`accounts, users, tokens, webhooks: ${elapsed()}`);
  await seedUsage(plan);
  log(`usage: ${t.usage.count} rows, ${elapsed()}`);
  await seedNotices(plan);
  log(`notices: ${t.notices.count}, notifications: ${t.notifications.count}, ${elapsed()}`);
  await seedAudit(plan, (i) => log(`  ${i + 1} audit events, ${elapsed()}`));
  await seedThrottles(plan);
  await writer.finish();
  await runner.query('SET SESSION unique_checks = 1');
  await runner.query('SET SESSION foreign_key_checks = 1');

  return {
    accounts: t.accounts.count,
    users: t.users.count,
    tokens: t.tokens.count,
    audit: t.audit.count,
    usage: t.usage.count,
    notices: t.notices.count,
    notifications: t.notifications.count,
    sessions: t.sessions.count,
    webhooks: plan.webhookCount,
    deliveries: plan.deliveryCount,
    scopes: plan.scopeCount,
    throttles: t.throttles.count,
    bigAccountId: plan.accountIds[0],
    bigAccountOwnerId: plan.userIds[plan.accountUserStart[0]],
    seconds: (Date.now() - started) / 1000,
  };
}

/** One account: its users (first an OWNER), policy, scope catalog, tokens and webhook. */
async function seedAccount(p: Plan, a: number): Promise<void> {
  const { o, now, t } = p;
  const r = new Rng(`${o.seed}|account|${a}`);
  const created = now - r.between(60, 1100) * DAY_MS;
  const accountId = r.uuid7(created);
  p.accountIds.push(accountId);
  const n = p.counts[a] ?? 0;
  const { admins, members } = await seedUsers(p, r, a, accountId, created, n);
  const issuers = admins.length ? admins : [p.accountUserStart[a]];
  const owners = members.length + admins.length ? [...members, ...admins] : [p.accountUserStart[a]];

  const active = Math.round(n * 0.55);
  // prettier-ignore
  await t.accounts.push([
    accountId, `Seed account ${a}`, Math.max(50, active + 1000), r.weighted([['ALL_MEMBERS', 80], ['ADMINS_ONLY', 15], ['OWNER_ONLY', 5]] as const),
    r.chance(0.8) ? 365 : null, r.chance(0.2) ? 730 : null, THRESHOLDS.join(','), at(created), at(created),
  ]);

  // Scopes: a catalog in one account in five.
  const scopeNames: string[] = [];
  if (r.chance(0.2) || a === 0) {
    for (const name of ['inventory:write', 'reports:read', 'deploy:prod'].slice(0, 1 + r.int(3))) {
      scopeNames.push(name);
      p.scopeCount += 1;
      await t.scopes.push([
        r.uuid7(created + DAY_MS),
        accountId,
        name,
        `Seeded scope ${name}`,
        r.pick([Role.MEMBER, Role.ADMIN]),
        p.userIds[p.accountUserStart[a]],
        at(created + DAY_MS),
        at(created + DAY_MS),
      ]);
    }
  }

  p.accountTokenStart.push(p.tokenIndex);
  for (let k = 0; k < n; k++) await seedToken(p, r, a, accountId, created, { owners, issuers, scopeNames });

  // Webhooks: one in ten accounts (and the big one), with their delivery history.
  if (a === 0 || r.chance(0.1)) await seedWebhook(p, r, a, accountId, created, n);
}

/** About one user per 40 tokens (at least one; a handful in small accounts), first an OWNER; some with sessions. */
async function seedUsers(p: Plan, r: Rng, a: number, accountId: string, created: number, n: number): Promise<{ admins: number[]; members: number[] }> {
  const { o, now, t } = p;
  const userCount = Math.max(1 + r.int(3), Math.min(5000, Math.round(n / 40)));
  p.accountUserStart.push(p.userIds.length);
  const admins: number[] = [];
  const members: number[] = [];
  for (let u = 0; u < userCount; u++) {
    const role =
      u === 0
        ? Role.OWNER
        : r.weighted([
            [Role.ADMIN, 10],
            [Role.MEMBER, 60],
            [Role.READ_ONLY, 30],
          ] as const);
    const deactivated = u > 0 && r.chance(0.05);
    const uc = created + r.between(0, Math.max(1, now - created - DAY_MS)) * (u === 0 ? 0 : 1);
    const id = r.uuid7(uc);
    const index = p.userIds.length;
    p.userIds.push(id);
    p.userRole.push(ROLE_RANK[role]);
    p.userAccount.push(a);
    if (!deactivated) (role === Role.OWNER || role === Role.ADMIN ? admins : members).push(index);
    // prettier-ignore
    await t.users.push([
      id, accountId, `user${index}@a${a}.${SEED_EMAIL_DOMAIN}`, `${r.pick(FIRST)} ${r.pick(LAST)}`, role,
      deactivated ? 'DEACTIVATED' : 'ACTIVE', o.passwordHash, deactivated ? at(now - r.between(1, 200) * DAY_MS) : null, at(uc), at(uc),
    ]);
    if (r.chance(0.1)) await t.settings.push([id, accountId, r.chance(0.5) ? 1 : 0, at(uc), at(uc)]);
    if (r.chance(0.3)) {
      const sc = now - r.between(0, 20) * DAY_MS;
      const sid = r.uuid7(sc);
      const revoked = r.chance(0.3);
      await t.sessions.push([sid, id, accountId, revoked ? at(sc + DAY_MS / 2) : null, revoked ? 'logout' : null, at(sc)]);
      await t.refresh.push([r.uuid7(sc), sid, sha256(`${o.seed}|refresh|${sid}`), at(sc + DAY_MS), null, at(sc)]);
    }
  }
  return { admins, members };
}

/** One token of the account, its facts kept in the plan for the tables that refer to tokens. */
async function seedToken(p: Plan, r: Rng, a: number, accountId: string, created: number, who: { owners: number[]; issuers: number[]; scopeNames: string[] }): Promise<void> {
  const { o, now } = p;
  const t = p.tokenIndex++;
  const ownerIdx = r.chance(0.1) ? p.accountUserStart[a] : r.pick(who.owners);
  const issuerIdx = r.chance(0.8) ? ownerIdx : r.pick(who.issuers);
  const maxRank = Math.min(p.userRole[ownerIdx], p.userRole[issuerIdx]);
  const role =
    ROLES_BY_RANK[
      Math.min(
        maxRank,
        r.weighted([
          [0, 25],
          [1, 50],
          [2, 20],
          [3, 5],
        ] as const),
      )
    ];
  const status = r.weighted([
    [STATUS.ACTIVE, 55],
    [STATUS.EXPIRED, 15],
    [STATUS.REVOKED, 20],
    [STATUS.DELETED, 10],
  ] as const);
  const tc = created + r.next() * (now - created - 60_000);
  const id = r.uuid7(tc);
  let expires: number | null;
  if (status === STATUS.EXPIRED) expires = Math.max(tc + DAY_MS, now - r.between(0.01, 300) * DAY_MS);
  else if (status === STATUS.ACTIVE) {
    expires = r.chance(0.1)
      ? null
      : now +
        r.weighted([
          [r.between(0.01, 7), 10],
          [r.between(7, 30), 15],
          [r.between(30, 400), 75],
        ] as const) *
          DAY_MS;
  } else expires = r.chance(0.1) ? null : tc + r.between(30, 365) * DAY_MS;
  if (status === STATUS.EXPIRED && expires !== null && expires > now - 60_000) expires = now - 60_000;
  const env = r.weighted(ENVIRONMENTS);
  const secret = seededSecret(o.seed, id);
  const revokedAt = status === STATUS.REVOKED || status === STATUS.DELETED ? tc + r.next() * (now - tc) : null;
  const used = status !== STATUS.DELETED && r.chance(0.7);
  const usedUntil = Math.min(now, revokedAt ?? now, expires && expires < now ? expires : now);
  const lastUsed = used ? Math.max(tc, usedUntil - r.between(0, 30) * DAY_MS) : null;
  const regenerated = status === STATUS.ACTIVE && r.chance(0.1) ? tc + r.next() * (now - tc) : null;
  const tokenScopes = who.scopeNames.length && r.chance(0.2) ? [r.pick(who.scopeNames)] : [];
  p.tokenIds[t] = id;
  p.tokenAccount[t] = a;
  p.tokenOwner[t] = ownerIdx;
  p.tokenStatus[t] = status;
  p.tokenExpires[t] = expires ?? 0;
  p.tokenEnv[t] = env;
  const name = `${r.pick(PURPOSES)}-${r.pick(SYSTEMS)}-${t.toString(36)}`;
  const description = r.chance(0.4) ? r.pick(DESCRIPTIONS) : null;
  // prettier-ignore
  await p.t.tokens.push([
    id, accountId, p.userIds[ownerIdx], p.userIds[issuerIdx], name,
    description, seededUsername(o.seed, id), secret.slice(0, SECRET_PREFIX.length + 4), role, env,
    status === STATUS.REVOKED ? 'REVOKED' : status === STATUS.DELETED ? 'DELETED' : 'ACTIVE', sha256(secret), null, null,
    expires === null ? null : at(expires), lastUsed === null ? null : at(lastUsed), used ? 1 + r.int(50_000) : 0,
    used ? JSON.stringify([randomIp(r), ...(r.chance(0.3) ? [randomIp(r)] : [])]) : '[]', tokenScopes.length ? JSON.stringify(tokenScopes) : null,
    revokedAt === null ? null : at(revokedAt), revokedAt === null ? null : p.userIds[issuerIdx], regenerated === null ? null : at(regenerated),
    status === STATUS.DELETED ? at(revokedAt! + r.next() * (now - revokedAt!)) : null, at(tc), at(regenerated ?? revokedAt ?? tc),
    noticeAt(now, status, expires),
  ]);
  for (const trigram of tokenTrigrams(name, description)) await p.t.trigrams.push([accountId, trigram, id]);
}

/** The account's webhook and its delivery history (one delivery per ten tokens, at least one). */
async function seedWebhook(p: Plan, r: Rng, a: number, accountId: string, created: number, n: number): Promise<void> {
  const { o, now, t } = p;
  const hc = created + DAY_MS;
  const hookId = r.uuid7(hc);
  p.webhookCount += 1;
  // prettier-ignore
  await t.webhooks.push([
    hookId, accountId, `https://hooks.example.com/tokengate/${a}`, JSON.stringify(WEBHOOK_EVENTS.slice(0, 2 + r.int(5))),
    p.box.encrypt(`whsec_seeded_${createHmac('sha256', o.seed).update(hookId).digest('base64url')}`), p.userIds[p.accountUserStart[a]], at(hc), at(hc),
  ]);
  const many = Math.max(1, Math.round(n / 10));
  for (let d = 0; d < many; d++) {
    const dc = now - r.between(0, 29) * DAY_MS;
    const ok = r.chance(0.95);
    p.deliveryCount += 1;
    // prettier-ignore
    await t.deliveries.push([
      r.uuid7(dc), hookId, accountId, r.pick(WEBHOOK_EVENTS), JSON.stringify({ event: 'token.created', seeded: true }), ok ? 'SUCCEEDED' : 'FAILED',
      ok ? 1 : 8, null, null, ok ? at(dc + 500) : null, JSON.stringify([{ at: at(dc + 500).toISOString(), status: ok ? 200 : 502, error: ok ? null : 'HTTP 502', ms: 120 }]),
      at(dc), at(dc + 500),
    ]);
  }
}

/** Usage history: recent days of tokens in use, from one or two addresses a day. */
async function seedUsage(p: Plan): Promise<void> {
  const { o, now, totalTokens } = p;
  const ur = new Rng(`${o.seed}|usage`);
  const usageRows = o.usage ?? totalTokens;
  const seen = new Set<string>();
  for (let i = 0; i < usageRows && totalTokens > 0; i++) {
    const t = ur.int(totalTokens);
    if (p.tokenStatus[t] === STATUS.DELETED) continue;
    const dayMs = now - ur.int(90) * DAY_MS;
    const day = new Date(dayMs).toISOString().slice(0, 10);
    const address = ur.chance(0.05) ? '' : `10.${t % 256}.${(t >> 8) % 256}.${1 + ur.int(3)}`;
    const key = `${t}|${day}|${address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await p.t.usage.push([ur.uuid7(dayMs), p.tokenIds[t], p.accountIds[p.tokenAccount[t]], day, p.tokenEnv[t], address, 1 + ur.int(5000), at(dayMs), at(dayMs)]);
  }
  seen.clear();
  await p.t.usage.flush();
}

/**
 * Expiry notices already sent: for ACTIVE tokens inside a notice window, the nearest due threshold,
 * with an in-app notification for the owner and the account's first OWNER.
 */
async function seedNotices(p: Plan): Promise<void> {
  const { o, now } = p;
  const nr = new Rng(`${o.seed}|notices`);
  for (let t = 0; t < p.totalTokens; t++) {
    if (p.tokenStatus[t] !== STATUS.ACTIVE && p.tokenStatus[t] !== STATUS.EXPIRED) continue;
    const expires = p.tokenExpires[t];
    if (!expires || expires < now - 7 * DAY_MS) continue;
    const due = THRESHOLDS.filter((d) => expires - d * DAY_MS <= now);
    if (due.length === 0) continue;
    const threshold = Math.min(...due);
    if (threshold > 0 && expires <= now) continue;
    const sentAt = Math.min(now, expires - threshold * DAY_MS + nr.between(0, 300_000));
    const a = p.tokenAccount[t];
    await p.t.notices.push([nr.uuid7(sentAt), p.accountIds[a], p.tokenIds[t], at(expires), threshold, at(sentAt), at(sentAt)]);
    const recipients = new Set([p.tokenOwner[t], p.accountUserStart[a]]);
    for (const u of recipients) {
      // prettier-ignore
      await p.t.notifications.push([
        nr.uuid7(sentAt), p.accountIds[a], p.userIds[u], p.tokenIds[t], threshold === 0 ? 'TOKEN_EXPIRED' : 'TOKEN_EXPIRING', threshold, at(expires),
        nr.chance(0.5) ? at(sentAt + DAY_MS / 4) : null, nr.chance(0.9) ? 'SENT' : 'SKIPPED', 1, null, at(sentAt), at(sentAt),
      ]);
    }
  }
  await p.t.notices.flush();
  await p.t.notifications.flush();
}

/** The audit trail: spread over accounts as their tokens are, and a few failed sign-ins naming no account. */
async function seedAudit(p: Plan, progress: (i: number) => void): Promise<void> {
  const { o, now, totalTokens, userIds, accountUserStart } = p;
  const ar = new Rng(`${o.seed}|audit`);
  for (let i = 0; i < o.audit; i++) {
    // Oldest first over the last year (appends to the primary key, as the service does).
    const createdMs = now - 365 * DAY_MS * (1 - (i + ar.next()) / o.audit);
    if (ar.chance(0.02) || totalTokens === 0) {
      await p.t.audit.push([ar.uuid7(createdMs), null, 'auth.failed', null, null, null, null, 'unknown_email', randomIp(ar), ar.pick(AGENTS), null, at(createdMs), at(createdMs)]);
      continue;
    }
    const t = ar.int(totalTokens);
    const a = p.tokenAccount[t];
    const actor = userIds[accountUserStart[a] + ar.int(Math.max(1, (accountUserStart[a + 1] ?? userIds.length) - accountUserStart[a]))];
    const action = ar.weighted([
      ['token.created', 30],
      ['token.revoked', 10],
      ['token.regenerated', 5],
      ['token.deleted', 5],
      ['auth.failed', 40],
      ['user.created', 5],
      ['user.role_changed', 5],
    ] as const);
    const userTarget = action.startsWith('user.');
    // prettier-ignore
    await p.t.audit.push([
      ar.uuid7(createdMs), p.accountIds[a], action, actor, action === 'auth.failed' ? p.tokenIds[t] : ar.chance(0.3) ? p.tokenIds[t] : null,
      userTarget ? 'user' : 'api_token', userTarget ? actor : p.tokenIds[t], action === 'auth.failed' ? ar.pick(FAILURE_REASONS) : null, randomIp(ar), ar.pick(AGENTS),
      action === 'auth.failed' ? null : JSON.stringify({ seeded: true, environment: p.tokenEnv[t] }), at(createdMs), at(createdMs),
    ]);
    if (i % 500_000 === 499_999) progress(i);
  }
  await p.t.audit.flush();
}

/** Brute-force counters: recent windows for a few thousand addresses and e-mails. */
async function seedThrottles(p: Plan): Promise<void> {
  const { o, now } = p;
  const thr = new Rng(`${o.seed}|throttle`);
  const throttleRows = Math.min(5000, Math.max(100, Math.round(p.totalTokens / 100)));
  for (let i = 0; i < throttleRows; i++) {
    const w = now - thr.between(0, 0.5) * DAY_MS;
    await p.t.throttles.push([
      `${thr.pick(['login:ip', 'login:email', 'token:ip'])}:${sha256(`${o.seed}|throttle|${i}`).slice(0, 40)}`,
      1 + thr.int(60),
      at(w),
      thr.chance(0.1) ? at(w + 60_000) : null,
    ]);
  }
  await p.t.throttles.flush();
}
