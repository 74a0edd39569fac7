import { startTestApp, TestApp } from '../helpers/app';
import { Actor, addUser, createToken, signUp } from '../helpers/world';
import { countQueries, DELETE, REVOKE, setPolicy } from '../helpers/api-tokens';
import { Rng } from '../../src/db/seeder';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { ApiTokenTrigram } from '../../src/modules/api-token/api-token-trigram.entity';
import { backfillTokenTrigrams, termTrigrams, tokenTrigrams } from '../../src/modules/api-token/search/trigrams';

/**
 * apiTokens(filter: { search }) through the trigram index (src/modules/api-token/search/trigrams.ts):
 * the same results as the substring LIKE it replaced as a plan (the oracle below runs that LIKE on the
 * database itself), on a random corpus of mixed case, accents, other scripts, digits of other scripts,
 * emoji, %, _ and !; the index follows renames, description changes and hard deletes; another account's
 * tokens never match.
 */
const SEARCH = `query($filter: ApiTokenFilter, $first: Int, $after: String) { apiTokens(filter: $filter, first: $first, after: $after) {
  totalCount totalCountIsCapped pageInfo { hasNextPage endCursor } nodes { id name description status } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) { updateApiToken(id: $id, input: $input) { id name description } }`;

let app: TestApp;
let owner: Actor;
let stranger: Actor;
beforeAll(async () => {
  app = await startTestApp();
  owner = await signUp(app, 'searcher', 'Search Ltd');
  stranger = await signUp(app, 'other-searcher', 'Elsewhere Ltd');
  await setPolicy(app, owner, { maxActiveTokens: 1000 });
});
afterAll(() => app?.stop());

/** Every page of a search, 7 at a time (so the keyset cursor is exercised), and the first page's totalCount. */
async function search(term: string, by: Actor = owner, status?: string[]): Promise<{ ids: string[]; totalCount: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let totalCount = -1;
  for (;;) {
    const data: any = await app.ok(SEARCH, { filter: { search: term, ...(status ? { status } : {}) }, first: 7, after }, by.session);
    if (totalCount < 0) totalCount = data.apiTokens.totalCount;
    ids.push(...data.apiTokens.nodes.map((n: any) => n.id));
    if (!data.apiTokens.pageInfo.hasNextPage) return { ids, totalCount };
    after = data.apiTokens.pageInfo.endCursor;
  }
}

/** The old plan, run on the database as it was: a substring LIKE on name or description, newest first. */
async function oracle(accountId: string, term: string): Promise<string[]> {
  const s = term.normalize('NFC').trim();
  const pattern = `%${s.replace(/[!%_]/g, (c) => '!' + c)}%`;
  const rows: Array<{ id: string }> = await app.db.dataSource.query(
    "SELECT id FROM api_token WHERE accountId = ? AND storedStatus <> 'DELETED' AND (name LIKE ? ESCAPE '!' OR description LIKE ? ESCAPE '!') ORDER BY id DESC",
    [accountId, pattern, pattern],
  );
  return rows.map((r) => r.id);
}

async function storedTrigrams(tokenId: string): Promise<number[]> {
  const rows = await app.db.dataSource.getRepository(ApiTokenTrigram).find({ where: { tokenId } });
  return rows.map((r) => Number(r.trigram)).sort((a, b) => a - b);
}

async function expectIndexed(tokenId: string): Promise<void> {
  const t = await app.db.dataSource.getRepository(ApiToken).findOneByOrFail({ id: tokenId });
  expect(await storedTrigrams(tokenId)).toEqual(tokenTrigrams(t.name, t.description).sort((a, b) => a - b));
}

// Pieces that exercise the folding: case pairs, accents (composed and decomposed in input, NFC when
// stored), letters with case rules of their own (ß, İ/ı, Σ/σ/ς), an Arabic-Indic digit (MariaDB: "١" is "1"),
// fullwidth forms, emoji outside the BMP, CJK, and LIKE's own characters.
const PIECES = [
  'a',
  'A',
  'b',
  'B',
  'e',
  'E',
  'é',
  'É',
  'e\u0301',
  'è',
  'i',
  'I',
  'İ',
  'ı',
  's',
  'S',
  'ß',
  'ss',
  'Σ',
  'σ',
  'ς',
  'o',
  'ö',
  'Ö',
  'ø',
  '1',
  '١',
  '2',
  'Ａ',
  'ａ',
  '😀',
  '🎉',
  '漢',
  'Ж',
  'ж',
  '%',
  '_',
  '!',
  ' ',
  '-',
  '.',
  'de',
  'ab',
  'ba',
];

describe('search results are the substring LIKE, through the index', () => {
  const corpus: Array<{ id: string; name: string; description: string | null }> = [];
  const rng = new Rng('search-corpus');
  const text = (min: number, max: number) => {
    let s = '';
    const n = min + rng.int(max - min + 1);
    for (let i = 0; i < n; i++) s += rng.pick(PIECES);
    return s.trim() || 'x';
  };

  beforeAll(async () => {
    for (let i = 0; i < 90; i++) {
      const name = `${text(1, 6)} ${i}`; // unique per owner whatever the fold
      const description = rng.chance(0.6) ? text(0, 12) : null;
      const t = await createToken(app, owner, { name, ...(description === null || description === 'x' ? {} : { description }) });
      corpus.push({ id: t.id, name, description });
    }
    // A few changed after creation, one revoked (still found), one deleted (hidden by default).
    for (const t of corpus.slice(0, 6)) await app.ok(UPDATE, { id: t.id, input: { name: `${text(2, 6)} renamed ${t.id.slice(-4)}`, description: text(0, 8) } }, owner.session);
    await app.ok(REVOKE, { id: corpus[10].id }, owner.session);
    await app.ok(REVOKE, { id: corpus[11].id }, owner.session);
    await app.ok(DELETE, { id: corpus[11].id }, owner.session);
    // The stranger's account holds the same texts: never found from ours, nor ours from theirs.
    for (const t of corpus.slice(20, 30)) await createToken(app, stranger, { name: t.name, ...(t.description && t.description !== 'x' ? { description: t.description } : {}) });
  }, 300_000);

  test('random terms: short, long, substrings of the corpus with case and accents changed, LIKE characters', async () => {
    const stored = await app.db.dataSource.getRepository(ApiToken).find({ where: { accountId: owner.accountId } });
    const texts = stored.flatMap((t) => [t.name, t.description ?? '']).filter((s) => s.length > 0);
    const terms = new Set<string>(['%', '_', '!', '%_', '1 ', 'ss', 'ß', 'SS', 'renamed', 'é', 'E\u0301', 'ΣΣ', '😀😀', '١2', 'Ａa', 'ab%', '_a_', 'zzz', 'Ж ж']);
    while (terms.size < 140) {
      if (rng.chance(0.5)) {
        const source = rng.pick(texts);
        const chars = [...source];
        const start = rng.int(chars.length);
        let term = chars.slice(start, start + 1 + rng.int(7)).join('');
        if (rng.chance(0.3)) term = term.toUpperCase();
        else if (rng.chance(0.3)) term = term.toLowerCase();
        if (rng.chance(0.2)) term = term.normalize('NFD');
        if (term.trim()) terms.add(term);
      } else {
        const term = text(1, 5);
        if (term.trim()) terms.add(term);
      }
    }
    let indexed = 0;
    for (const term of terms) {
      const expected = await oracle(owner.accountId, term);
      const got = await search(term);
      expect({ term, ids: got.ids }).toEqual({ term, ids: expected });
      expect({ term, totalCount: got.totalCount }).toEqual({ term, totalCount: expected.length });
      if (termTrigrams(term.normalize('NFC').trim()).length > 0) indexed += 1;
    }
    // Both plans were exercised: most terms went through the index, some were too short for it.
    expect(indexed).toBeGreaterThan(60);
    expect(indexed).toBeLessThan(terms.size);
  }, 300_000);

  test("another account's tokens never match, in either direction", async () => {
    for (const t of corpus.slice(20, 30)) {
      const ours = (await search(t.name)).ids;
      expect(ours).toContain(t.id);
      const theirs = (await search(t.name, stranger)).ids;
      expect(theirs.length).toBeGreaterThan(0);
      expect(theirs).not.toContain(t.id);
      expect(theirs.filter((id) => corpus.some((c) => c.id === id))).toEqual([]);
    }
  });

  test('the DELETED filter searches deleted tokens too; every token is indexed as stored', async () => {
    const deleted = corpus[11];
    const name = (await app.db.dataSource.getRepository(ApiToken).findOneByOrFail({ id: deleted.id })).name;
    expect((await search(name, owner, ['DELETED'])).ids).toEqual([deleted.id]);
    for (const t of corpus) await expectIndexed(t.id);
  });
});

describe('the index follows the token', () => {
  test('rename and description change: old words stop matching, new ones match, in one transaction with the change', async () => {
    const t = await createToken(app, owner, { name: 'Quartzite pipeline', description: 'Feeds the Obsidian cache' });
    expect((await search('quartzite')).ids).toEqual([t.id]);
    expect((await search('OBSIDIAN')).ids).toEqual([t.id]);

    await app.ok(UPDATE, { id: t.id, input: { name: 'Basalt pipeline' } }, owner.session);
    expect((await search('quartzite')).ids).toEqual([]);
    expect((await search('basalt')).ids).toEqual([t.id]);
    expect((await search('obsidian')).ids).toEqual([t.id]);
    await expectIndexed(t.id);

    await app.ok(UPDATE, { id: t.id, input: { description: 'Now feeds the Granite store' } }, owner.session);
    expect((await search('obsidian')).ids).toEqual([]);
    expect((await search('granite')).ids).toEqual([t.id]);
    await app.ok(UPDATE, { id: t.id, input: { description: null } }, owner.session);
    expect((await search('granite')).ids).toEqual([]);
    await expectIndexed(t.id);

    // A rename refused (the name is taken) changes neither the token nor its index.
    await createToken(app, owner, { name: 'Gneiss job' });
    const before = await storedTrigrams(t.id);
    expect((await app.fail(UPDATE, { id: t.id, input: { name: 'GNEISS JOB' } }, owner.session)).code).toBe('CONFLICT');
    expect(await storedTrigrams(t.id)).toEqual(before);
    expect((await search('basalt')).ids).toEqual([t.id]);

    // Changes that do not touch the texts do not rewrite the index.
    const { sql } = await countQueries(app, () => app.ok(UPDATE, { id: t.id, input: { rateLimitPerMinute: 10 } }, owner.session));
    expect(sql.filter((s) => /api_token_trigram/.test(s))).toEqual([]);
  });

  test("a hard-deleted token's rows go with it; a token missing from the index is indexed by the backfill", async () => {
    const t = await createToken(app, owner, { name: 'Ephemeral shale' });
    expect((await storedTrigrams(t.id)).length).toBeGreaterThan(0);
    await app.db.dataSource.getRepository(ApiToken).delete({ id: t.id });
    expect(await storedTrigrams(t.id)).toEqual([]);

    const kept = await createToken(app, owner, { name: 'Restored slate' });
    await app.db.dataSource.getRepository(ApiTokenTrigram).delete({ tokenId: kept.id });
    expect((await search('slate')).ids).toEqual([]);
    expect(await backfillTokenTrigrams(app.db.dataSource)).toBeGreaterThanOrEqual(1);
    expect((await search('slate')).ids).toEqual([kept.id]);
    await expectIndexed(kept.id);
  });

  test("a MEMBER's search finds only the tokens they own or issued, like their listing", async () => {
    const member = await addUser(app, owner, 'MEMBER', 'searching-member');
    const own = await createToken(app, member, { name: 'Marble mover' });
    const issued = await createToken(app, owner, { name: 'Marble polisher', ownerId: member.id, role: 'READ_ONLY' });
    const others = await createToken(app, owner, { name: 'Marble cutter' });
    expect((await search('marble', member)).ids).toEqual([issued.id, own.id]);
    expect((await search('MARBLE', owner)).ids).toEqual([others.id, issued.id, own.id]);
    expect((await search('cutter', member)).ids).toEqual([]);
    const short = (await search('ma', member)).ids;
    expect(short).toEqual(expect.arrayContaining([issued.id, own.id]));
    expect(short).not.toContain(others.id);
  });

  test('a term with a trigram no token has costs one statement and finds nothing; bad input stays bad input', async () => {
    const { sql, result } = await countQueries(app, () => app.ok(SEARCH, { filter: { search: 'qqxqqz' }, first: 10 }, owner.session));
    expect(result.apiTokens).toMatchObject({ totalCount: 0, nodes: [] });
    // The trigram counts, and no read of the tokens at all.
    expect(sql.filter((s) => /api_token_trigram/.test(s))).toHaveLength(1);
    expect(sql.filter((s) => /FROM [`"]?api_token[`"]? /.test(s))).toEqual([]);
    const res = await app.fail(SEARCH, { filter: { search: 'x'.repeat(101) } }, owner.session);
    expect(res.code).toBe('BAD_USER_INPUT');
    expect(res.message).toMatch(/^filter\.search:/);
    expect((await app.fail(SEARCH, { filter: { search: 'pipeline' } })).code).toBe('UNAUTHENTICATED');
  });
});
