import { randomBytes } from 'node:crypto';
import { startTestApp, TestApp } from '../helpers/app';
import { createWorld, World } from '../helpers/world';
import { countQueries } from '../helpers/api-tokens';
import { ApiToken, TokenStatus } from '../../src/modules/api-token/api-token.entity';
import { COUNT_CAP } from '../../src/common/pagination';
import { newId } from '../../src/common/ids';
import { Role } from '../../src/common/roles';
import { clock } from '../../src/common/clock';

/**
 * totalCount at scale: counted only when asked for, and no further than
 * COUNT_CAP (10,000), with totalCountIsCapped telling when there are more.
 * The rows are written straight into the database (10,001 tokens through the
 * API would take minutes); they are what createApiToken writes.
 */
let app: TestApp;
let world: World;
const BULK = COUNT_CAP + 1;

const COUNT = `query($filter: ApiTokenFilter) { apiTokens(first: 5, filter: $filter) { totalCount totalCountIsCapped nodes { id } pageInfo { hasNextPage } } }`;

beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  // BULK tokens owned by the member, issued by the owner; three of them READ_ONLY.
  const now = clock.now();
  const rows = Array.from({ length: BULK }, (_, i) =>
    Object.assign(new ApiToken(), {
      id: newId(),
      accountId: world.owner.accountId,
      ownerId: world.member.id,
      createdById: world.owner.id,
      name: `bulk-${i}`,
      description: null,
      username: `tgu_${randomBytes(8).toString('hex')}`,
      hint: 'tgk_bulk',
      role: i < 3 ? Role.READ_ONLY : Role.MEMBER,
      environment: null,
      storedStatus: TokenStatus.ACTIVE,
      secretHash: randomBytes(32).toString('hex'),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      expiresAt: null,
      nextNoticeAt: null,
      lastUsedAt: null,
      useCount: 0,
      lastUsedIps: [],
      catalogScopes: [],
      revokedAt: null,
      revokedById: null,
      regeneratedAt: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    }),
  );
  await app.db.dataSource.transaction(async (em) => {
    for (let i = 0; i < rows.length; i += 500) await em.getRepository(ApiToken).insert(rows.slice(i, i + 500));
  });
}, 120_000);
afterAll(() => app?.stop());

describe('totalCount', () => {
  test(`stops at ${COUNT_CAP} and says so with totalCountIsCapped; below the cap it is exact`, async () => {
    const all = (await app.ok(COUNT, {}, world.owner.session)).apiTokens;
    expect(all).toMatchObject({ totalCount: COUNT_CAP, totalCountIsCapped: true, pageInfo: { hasNextPage: true } });
    expect(all.nodes).toHaveLength(5);
    const few = (await app.ok(COUNT, { filter: { role: ['READ_ONLY'] } }, world.owner.session)).apiTokens;
    expect(few).toMatchObject({ totalCount: 3, totalCountIsCapped: false });
  });

  test('a MEMBER counts the tokens they own or issued the same way (both halves of their view add up)', async () => {
    expect((await app.ok(COUNT, {}, world.member.session)).apiTokens).toMatchObject({ totalCount: COUNT_CAP, totalCountIsCapped: true });
    expect((await app.ok(COUNT, { filter: { role: ['READ_ONLY'] } }, world.member.session)).apiTokens).toMatchObject({ totalCount: 3, totalCountIsCapped: false });
    // The admin and the read-only user own or issued none of them.
    expect((await app.ok(COUNT, {}, world.readOnly.session)).apiTokens).toMatchObject({ totalCount: 0, totalCountIsCapped: false });
  });

  test("another account's tokens are not counted: its owner sees an empty, uncapped count", async () => {
    expect((await app.ok(COUNT, {}, world.stranger.session)).apiTokens).toMatchObject({ totalCount: 0, totalCountIsCapped: false, nodes: [] });
  });

  test('is counted only when selected: a page without it sends no COUNT', async () => {
    const page = `{ apiTokens(first: 5) { nodes { id } } }`;
    const without = await countQueries(app, () => app.ok(page, {}, world.owner.session));
    expect(without.sql.filter((s) => /COUNT\(/i.test(s))).toEqual([]);
    const withCount = await countQueries(app, () => app.ok(`{ apiTokens(first: 5) { totalCount totalCountIsCapped nodes { id } } }`, {}, world.owner.session));
    // One count answers both fields.
    expect(withCount.sql.filter((s) => /COUNT\(/i.test(s))).toHaveLength(1);
    expect(withCount.statements).toBe(without.statements + 1);
  });

  test('needs authentication, like the connection', async () => {
    expect((await app.fail(COUNT, {})).code).toBe('UNAUTHENTICATED');
  });
});
