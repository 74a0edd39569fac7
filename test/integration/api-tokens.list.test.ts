import { startTestApp, TestApp } from '../helpers/app';
import { addUser, auth, createToken, createWorld, CreatedToken, signUp, World } from '../helpers/world';
import { countQueries, DAY, DELETE, GET, LIST, REVOKE, setPolicy } from '../helpers/api-tokens';
import { clock } from '../../src/common/clock';

/** apiToken(id) and apiTokens(filter, first, after): visibility, filters, pagination, SQL statement count. */
let app: TestApp;
let world: World;
let t: Record<string, CreatedToken>;
beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
  const { owner, admin, member, readOnly, stranger } = world;
  t = {
    memberOwn: await createToken(app, member, { name: 'Deploy bot', description: 'Pushes images', environment: 'staging' }),
    forMember: await createToken(app, admin, { name: 'metrics reader', ownerId: member.id, role: 'READ_ONLY', environment: 'production' }),
    adminSoon: await createToken(app, admin, { name: 'admin-ci', expiresAt: new Date(Date.now() + 3 * DAY).toISOString() }),
    ownerForever: await createToken(app, owner, { name: '100%_real', neverExpires: true }),
    readOnlyOwn: await createToken(app, readOnly, { name: 'ro-token', description: 'dashboards' }),
    revoked: await createToken(app, member, { name: 'old one' }),
    deleted: await createToken(app, member, { name: 'gone' }),
    ownerIssuedForAdmin: await createToken(app, owner, { name: 'for admin', ownerId: admin.id, expiresAt: new Date(Date.now() + 20 * DAY).toISOString() }),
    strangers: await createToken(app, stranger, { name: 'Deploy bot', environment: 'staging' }),
  };
  await app.ok(REVOKE, { id: t.revoked.id }, admin.session);
  await app.ok(REVOKE, { id: t.deleted.id }, member.session);
  await app.ok(DELETE, { id: t.deleted.id }, member.session);
});
afterAll(() => app?.stop());

const ids = async (authorization: string, filter?: Record<string, unknown>, first = 100): Promise<string[]> => {
  const data = await app.ok(LIST, { filter, first }, authorization);
  expect(data.apiTokens.totalCount).toBe(data.apiTokens.nodes.length);
  return data.apiTokens.nodes.map((n: any) => n.id);
};
const set = (...keys: string[]) => keys.map((k) => t[k].id).sort();
const sorted = (a: string[]) => [...a].sort();

describe('visibility', () => {
  const ACCOUNT_TOKENS = ['memberOwn', 'forMember', 'adminSoon', 'ownerForever', 'readOnlyOwn', 'revoked', 'ownerIssuedForAdmin'];

  test('OWNER and ADMIN see every token of their account (DELETED hidden by default), nothing of another account', async () => {
    expect(sorted(await ids(world.owner.session))).toEqual(set(...ACCOUNT_TOKENS));
    expect(sorted(await ids(world.admin.session))).toEqual(set(...ACCOUNT_TOKENS));
  });

  test('MEMBER and READ_ONLY see only the tokens they own or issued', async () => {
    expect(sorted(await ids(world.member.session))).toEqual(set('memberOwn', 'forMember', 'revoked'));
    expect(sorted(await ids(world.readOnly.session))).toEqual(set('readOnlyOwn'));
  });

  test('the same visibility holds for requests authenticated by API tokens', async () => {
    expect(sorted(await ids(auth.apiKey(t.memberOwn.secret)))).toEqual(set('memberOwn', 'forMember', 'revoked'));
    expect(sorted(await ids(auth.basic(t.ownerForever.username, t.ownerForever.secret)))).toEqual(set(...ACCOUNT_TOKENS));
  });

  test('another account sees only its own tokens, and none of ours even when filtering for our users', async () => {
    expect(await ids(world.stranger.session)).toEqual([t.strangers.id]);
    expect(await ids(world.stranger.session, { owner: world.member.id })).toEqual([]);
    expect(await ids(world.stranger.session, { issuedBy: world.admin.id })).toEqual([]);
    expect(await ids(world.stranger.session, { search: 'Deploy' })).toEqual([t.strangers.id]);
    expect(await ids(world.owner.session, { owner: world.stranger.id })).toEqual([]);
  });

  test('apiToken(id): visible tokens come back with owner, issuer and revoker; invisible, foreign and unknown ids are null', async () => {
    const forMember = (await app.ok(GET, { id: t.forMember.id }, world.member.session)).apiToken;
    expect(forMember).toMatchObject({ id: t.forMember.id, owner: { id: world.member.id, name: 'member' }, createdBy: { id: world.admin.id, name: 'admin' } });
    const revoked = (await app.ok(GET, { id: t.revoked.id }, world.member.session)).apiToken;
    expect(revoked).toMatchObject({ status: 'REVOKED', revokedBy: { id: world.admin.id, name: 'admin' } });
    expect(revoked.revokedAt).not.toBeNull();
    // A deleted token can still be read by id, with its status.
    expect((await app.ok(GET, { id: t.deleted.id }, world.owner.session)).apiToken.status).toBe('DELETED');

    expect((await app.ok(GET, { id: t.adminSoon.id }, world.member.session)).apiToken).toBeNull();
    expect((await app.ok(GET, { id: t.memberOwn.id }, world.readOnly.session)).apiToken).toBeNull();
    expect((await app.ok(GET, { id: t.memberOwn.id }, world.stranger.session)).apiToken).toBeNull();
    expect((await app.ok(GET, { id: t.strangers.id }, world.owner.session)).apiToken).toBeNull();
    expect((await app.ok(GET, { id: '01890000-0000-7000-8000-000000000000' }, world.owner.session)).apiToken).toBeNull();
    expect((await app.ok(GET, { id: 'not-an-id' }, world.owner.session)).apiToken).toBeNull();
  });

  test('a member sees names of users on tokens they can see, but not their e-mail addresses', async () => {
    const res = await app.gql(`query($id: ID!) { apiToken(id: $id) { createdBy { id name email } } }`, { id: t.forMember.id }, world.member.session);
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(res.raw).not.toContain(world.admin.email);
  });

  test('unauthenticated callers get UNAUTHENTICATED', async () => {
    expect((await app.fail(LIST, {})).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(GET, { id: t.memberOwn.id })).code).toBe('UNAUTHENTICATED');
    expect((await app.fail(LIST, {}, auth.apiKey(t.revoked.secret))).code).toBe('UNAUTHENTICATED');
  });
});

describe('filters', () => {
  test('issuedBy and owner', async () => {
    expect(sorted(await ids(world.owner.session, { issuedBy: world.admin.id }))).toEqual(set('forMember', 'adminSoon'));
    expect(sorted(await ids(world.owner.session, { owner: world.member.id }))).toEqual(set('memberOwn', 'forMember', 'revoked'));
    expect(sorted(await ids(world.owner.session, { owner: world.admin.id, issuedBy: world.owner.id }))).toEqual(set('ownerIssuedForAdmin'));
    // A member filtering for someone else's tokens still sees only their own.
    expect(await ids(world.member.session, { owner: world.admin.id })).toEqual([]);
    expect(sorted(await ids(world.member.session, { issuedBy: world.admin.id }))).toEqual(set('forMember'));
  });

  test('role', async () => {
    expect(sorted(await ids(world.owner.session, { role: ['READ_ONLY'] }))).toEqual(set('forMember', 'readOnlyOwn'));
    expect(sorted(await ids(world.owner.session, { role: ['ADMIN', 'OWNER'] }))).toEqual(set('adminSoon', 'ownerForever', 'ownerIssuedForAdmin'));
  });

  test('status: the default hides DELETED; DELETED and REVOKED can be asked for', async () => {
    expect(await ids(world.owner.session, { status: ['DELETED'] })).toEqual([t.deleted.id]);
    expect(await ids(world.owner.session, { status: ['REVOKED'] })).toEqual([t.revoked.id]);
    expect(sorted(await ids(world.member.session, { status: ['REVOKED', 'DELETED'] }))).toEqual(set('revoked', 'deleted'));
    expect(await ids(world.owner.session, { status: ['EXPIRED'] })).toEqual([]);
    expect((await ids(world.owner.session, { status: ['ACTIVE', 'EXPIRED', 'REVOKED', 'DELETED'] })).length).toBe(8);
  });

  test('environment', async () => {
    expect(await ids(world.owner.session, { environment: 'staging' })).toEqual([t.memberOwn.id]);
    expect(await ids(world.owner.session, { environment: 'production' })).toEqual([t.forMember.id]);
    expect(await ids(world.owner.session, { environment: 'nowhere' })).toEqual([]);
    // Case-insensitive and trimmed, the same on every database.
    expect(await ids(world.owner.session, { environment: ' STAGING ' })).toEqual([t.memberOwn.id]);
    expect(await ids(world.owner.session, { environment: 'stag' })).toEqual([]);
  });

  test('expiringWithinDays: ACTIVE tokens expiring within that many days', async () => {
    expect(await ids(world.owner.session, { expiringWithinDays: 7 })).toEqual([t.adminSoon.id]);
    expect(sorted(await ids(world.owner.session, { expiringWithinDays: 30 }))).toEqual(set('adminSoon', 'ownerIssuedForAdmin'));
    expect(await ids(world.owner.session, { expiringWithinDays: 1 })).toEqual([]);
    const nodes = (await app.ok(LIST, { first: 100 }, world.owner.session)).apiTokens.nodes;
    expect(nodes.filter((n: any) => n.expiringSoon).map((n: any) => n.id)).toEqual([t.adminSoon.id]);
  });

  test('search: name or description, case-insensitive, wildcards taken literally', async () => {
    expect(await ids(world.owner.session, { search: 'deploy' })).toEqual([t.memberOwn.id]);
    expect(await ids(world.owner.session, { search: 'IMAGES' })).toEqual([t.memberOwn.id]);
    expect(await ids(world.owner.session, { search: 'dashboards' })).toEqual([t.readOnlyOwn.id]);
    expect(await ids(world.owner.session, { search: '%' })).toEqual([t.ownerForever.id]);
    expect(await ids(world.owner.session, { search: '_' })).toEqual([t.ownerForever.id]);
    expect(await ids(world.owner.session, { search: '!' })).toEqual([]);
    expect(await ids(world.owner.session, { search: "'; DROP TABLE api_token; --" })).toEqual([]);
  });

  test('filters combine', async () => {
    expect(await ids(world.owner.session, { owner: world.member.id, role: ['MEMBER'], status: ['ACTIVE'] })).toEqual([t.memberOwn.id]);
    expect(await ids(world.owner.session, { search: 'reader', environment: 'staging' })).toEqual([]);
  });

  test.each([
    ['first above 100', { first: 101 }, /^first:/],
    ['negative first', { first: -1 }, /^first:/],
    ['an invented cursor', { after: 'bm90LWEtY3Vyc29y' }, /^after:/],
    ['a huge cursor', { after: 'x'.repeat(500) }, /^after:/],
    ['an empty role list', { filter: { role: [] } }, /^filter\.role:/],
    ['an empty status list', { filter: { status: [] } }, /^filter\.status:/],
    ['negative expiringWithinDays', { filter: { expiringWithinDays: -1 } }, /^filter\.expiringWithinDays:/],
    ['a search over 100 characters', { filter: { search: 's'.repeat(101) } }, /^filter\.search:/],
  ])('%s is BAD_USER_INPUT', async (_label, vars, message) => {
    const res = await app.fail(LIST, vars, world.owner.session);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(message);
  });

  test('an unknown status or role is refused by the schema', async () => {
    expect((await app.fail(LIST, { filter: { status: ['ZOMBIE'] } }, world.owner.session)).code).toBe('BAD_USER_INPUT');
  });
});

describe('pagination', () => {
  test('newest first, stable cursors, totalCount across pages', async () => {
    const owner = await signUp(app, 'pager', 'Pager Ltd');
    const created: string[] = [];
    for (let i = 0; i < 25; i++) created.push((await createToken(app, owner, { name: `page-${i}` })).id);
    const newestFirst = [...created].reverse();

    const seen: string[] = [];
    let after: string | null = null;
    const pages: number[] = [];
    for (;;) {
      const data: any = await app.ok(LIST, { first: 10, after }, owner.session);
      const c = data.apiTokens;
      expect(c.totalCount).toBe(25);
      expect(c.edges.map((e: any) => e.node.id)).toEqual(c.nodes.map((n: any) => n.id));
      pages.push(c.nodes.length);
      seen.push(...c.nodes.map((n: any) => n.id));
      expect(c.pageInfo.endCursor).toBe(c.edges[c.edges.length - 1].cursor);
      // Relay's other two fields: forward-only paging never reports a previous page.
      expect(c.pageInfo.startCursor).toBe(c.edges[0].cursor);
      expect(c.pageInfo.hasPreviousPage).toBe(false);
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(pages).toEqual([10, 10, 5]);
    expect(seen).toEqual(newestFirst);

    // A token created meanwhile does not disturb the next page of an older cursor.
    const first = (await app.ok(LIST, { first: 10 }, owner.session)).apiTokens;
    await createToken(app, owner, { name: 'newcomer' });
    const second = (await app.ok(LIST, { first: 10, after: first.pageInfo.endCursor }, owner.session)).apiTokens;
    expect(second.nodes.map((n: any) => n.id)).toEqual(newestFirst.slice(10, 20));
    expect(second.totalCount).toBe(26);

    // first: 0 counts without listing; the default page size is 20.
    const none = (await app.ok(LIST, { first: 0 }, owner.session)).apiTokens;
    expect(none).toMatchObject({ totalCount: 26, nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    expect((await app.ok('{ apiTokens { nodes { id } } }', {}, owner.session)).apiTokens.nodes).toHaveLength(20);

    // Another account's cursor shows nothing of ours.
    const foreign = (await app.ok(LIST, { first: 100, after: first.edges[0].cursor }, world.stranger.session)).apiTokens;
    expect(foreign.nodes.map((n: any) => n.id)).not.toContain(newestFirst[1]);
    expect(foreign.nodes.every((n: any) => n.owner.id === world.stranger.id)).toBe(true);
  });
});

describe('SQL statements', () => {
  test('listing 100 tokens with owner, createdBy and revokedBy, authenticated by an API token, costs at most 6 statements', async () => {
    const owner = await signUp(app, 'bulk', 'Bulk Co');
    await setPolicy(app, owner, { maxActiveTokens: 1000 });
    const admin = await addUser(app, owner, 'ADMIN', 'bulk-admin');
    const members = await Promise.all([0, 1, 2].map((i) => addUser(app, owner, 'MEMBER', `bulk-member-${i}`)));
    const people = [owner, admin, ...members];
    const made: string[] = [];
    for (let i = 0; i < 100; i++) {
      const ownerOf = people[i % people.length];
      // An ADMIN may not issue for the OWNER (whoever holds the secret acts as the owner).
      const issuer = i % 2 || ownerOf === owner ? owner : admin;
      made.push((await createToken(app, issuer, { name: `bulk-${i}`, ownerId: ownerOf.id, role: 'MEMBER' })).id);
    }
    for (let i = 0; i < 100; i += 4) await app.ok(REVOKE, { id: made[i] }, (i % 8 ? owner : admin).session);
    const reader = await createToken(app, owner, { name: 'reader' });
    await app.server.usage.flush();
    app.server.authenticator.cache.clear();

    const query = `{ apiTokens(first: 100) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id name status expiringSoon owner { id name } createdBy { id name } revokedBy { id name } } } }`;
    const { result, statements } = await countQueries(app, () => app.ok(query, {}, auth.apiKey(reader.secret)));
    expect(result.apiTokens.totalCount).toBe(101);
    expect(result.apiTokens.nodes).toHaveLength(100);
    expect(result.apiTokens.pageInfo.hasNextPage).toBe(true);
    // The oldest token (made[0], revoked) falls on the second page: 24 of the 25 revoked ones are here.
    expect(result.apiTokens.nodes.filter((n: any) => n.revokedBy).length).toBe(24);
    expect(new Set(result.apiTokens.nodes.map((n: any) => n.owner.id)).size).toBe(5);
    // eslint-disable-next-line no-console
    console.log(`listing 100 tokens (cold verification cache, API-token auth): ${statements} SQL statements`);
    expect(statements).toBeLessThanOrEqual(6);

    // Usage was recorded in memory only: nothing was written by the request.
    const again = await countQueries(app, () => app.ok(query, {}, auth.apiKey(reader.secret)));
    expect(again.statements).toBeLessThanOrEqual(statements);
    await app.server.usage.flush();
  });
});

describe('derived status (moves the clock: keep last)', () => {
  test('EXPIRED is derived at read time, listed under status EXPIRED and not under ACTIVE', async () => {
    const brief = await createToken(app, world.member, { name: 'brief', expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() });
    expect((await app.ok(GET, { id: brief.id }, world.member.session)).apiToken).toMatchObject({ status: 'ACTIVE', expiringSoon: true });
    clock.advance(11 * 60_000);
    expect((await app.ok(GET, { id: brief.id }, world.member.session)).apiToken).toMatchObject({ status: 'EXPIRED', expiringSoon: false });
    expect(await ids(world.owner.session, { status: ['EXPIRED'] })).toEqual([brief.id]);
    expect(await ids(world.owner.session, { status: ['ACTIVE'] })).not.toContain(brief.id);
    expect(await ids(world.owner.session, { expiringWithinDays: 30 })).not.toContain(brief.id);
    expect(await ids(world.owner.session)).toContain(brief.id);
    expect((await app.ok(GET, { id: brief.id }, world.stranger.session)).apiToken).toBeNull();
  });
});
