import { startTestApp, TestApp } from '../helpers/app';
import { collationClasses, encodeClasses } from '../../src/modules/api-token/search/collation-classes';
import { FOLD_CLASSES } from '../../src/modules/api-token/search/fold-table';
import { foldCodePoint } from '../../src/modules/api-token/search/trigrams';

/**
 * The search index folds characters by classes generated from utf8mb4_unicode_ci (fold-table.ts). If
 * the server's collation put characters together that the table keeps apart, a search would miss
 * rows its LIKE matches: this compares the committed table with the server the suite runs on.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

test("the committed fold table is the server collation's classes (regenerate with src/scripts/search-fold-table.ts)", async () => {
  const classes = await collationClasses(app.db.dataSource);
  expect(encodeClasses(classes)).toBe(FOLD_CLASSES);
  // And the classes are what the index uses: each member folds to its class's first character.
  for (const group of classes) for (const cp of group) expect(foldCodePoint(cp)).toBe(group[0]);
}, 120_000);

test('LIKE agrees: characters the collation sorts together match each other, one character at a time', async () => {
  const probes: Array<[string, string, number]> = [
    ['é', 'E', 1],
    ['Ａ', 'a', 1],
    ['١', '1', 1],
    ['\u0301', '\u0302', 1],
    ['ß', 's', 0],
    ['ǆ', 'dz', 0],
  ];
  for (const [text, pattern, expected] of probes) {
    const [row] = await app.db.dataSource.query('SELECT ? LIKE ? AS m', [text, pattern]);
    expect([text, pattern, Number(row.m)]).toEqual([text, pattern, expected]);
    if (expected === 1) expect(foldCodePoint(text.codePointAt(0)!)).toBe(foldCodePoint(pattern.codePointAt(0)!));
  }
});
