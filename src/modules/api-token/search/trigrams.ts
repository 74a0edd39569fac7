import type { EntityManager } from 'typeorm';
import { ApiTokenTrigram } from '../api-token-trigram.entity';
import { FOLD_CLASSES } from './fold-table';

/*
 * The trigram index behind apiTokens(filter: { search }).
 *
 * The search means what it always meant: `name LIKE '%term%' OR description LIKE '%term%'` in the
 * database's own collation (case-insensitive; on MySQL/MariaDB utf8mb4_unicode_ci also ignores accents;
 * % and _ literal). That LIKE still decides every result. The index only narrows the rows it is asked
 * about, so it must never lose a match: every character is folded to its class, a class holding every
 * character either database's LIKE may consider equal to it (fold-table.ts, generated from MariaDB's
 * weights; SQLite's LIKE folds ASCII case only, which those classes include). A row whose name or
 * description contains the term then has every trigram of the folded term among its own.
 */

/** Code points outside the BMP: one class (utf8mb4_unicode_ci gives them all the same weight). */
const OUTSIDE_BMP = 0x10000;

const FOLD = new Map<number, number>();
for (const group of FOLD_CLASSES.split(';')) {
  const cps = group.split(',').map((h) => parseInt(h, 16));
  for (const cp of cps) FOLD.set(cp, cps[0]);
}

/** One character's class: the smallest code point the collation treats as equal to it. */
export function foldCodePoint(cp: number): number {
  return cp > 0xffff ? OUTSIDE_BMP : (FOLD.get(cp) ?? cp);
}

function folded(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(foldCodePoint(ch.codePointAt(0)!));
  return out;
}

const B17 = 2 ** 17;

/** Trigrams in order of appearance, each once: three 17-bit classes in one integer (< 2^51, exact in a double). */
function trigramsOfText(text: string, into: Set<number>): void {
  const f = folded(text);
  for (let i = 0; i + 2 < f.length; i++) into.add((f[i] * B17 + f[i + 1]) * B17 + f[i + 2]);
}

/** The trigrams of a token's name and description (never across the two). */
export function tokenTrigrams(name: string, description: string | null): number[] {
  const set = new Set<number>();
  trigramsOfText(name, set);
  if (description) trigramsOfText(description, set);
  return [...set];
}

/** The trigrams a search term's matches must all have; none for a term under three characters. */
export function termTrigrams(term: string): number[] {
  const set = new Set<number>();
  trigramsOfText(term, set);
  return [...set];
}

/** Rows per INSERT: 3 parameters each, inside SQLite's and MySQL's limits. */
const ROWS_PER_INSERT = 500;

/**
 * (Re)writes a token's trigrams inside the caller's transaction: on creation, and whenever its name or
 * description changes. `fresh`: a token just inserted, with nothing to remove.
 */
export async function indexTokenText(em: EntityManager, token: { id: string; accountId: string; name: string; description: string | null }, fresh = false): Promise<void> {
  if (!fresh) await em.createQueryBuilder().delete().from(ApiTokenTrigram).where('tokenId = :id', { id: token.id }).execute();
  const rows = tokenTrigrams(token.name, token.description).map((trigram) => ({ accountId: token.accountId, trigram, tokenId: token.id }));
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await em
      .createQueryBuilder()
      .insert()
      .into(ApiTokenTrigram)
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .updateEntity(false)
      .execute();
  }
}

/**
 * How far each trigram is counted when choosing the rarest. A term all of whose trigrams are this common is
 * searched by the listing's walk, newest first (its matches are dense enough to fill a page soon): counted
 * no further they tie, and joined in the wrong order MariaDB drives the join from a larger one and sorts it.
 */
export const TRIGRAM_COUNT_CAP = 500;
/** How many of a long term's trigrams are counted (spread over the term), and how many are intersected. */
const TRIGRAMS_COUNTED = 8;
const TRIGRAMS_JOINED = 3;

/**
 * The trigrams to intersect for a term, rarest first, from one statement that counts (up to
 * TRIGRAM_COUNT_CAP, from the primary key alone) the account's tokens having each of up to 8 of the
 * term's trigrams. [] when the listing's walk serves the term better: it has no trigram (under three
 * characters), or even its rarest counted trigram is in TRIGRAM_COUNT_CAP tokens or more. null when some
 * trigram occurs in none of the account's tokens, so nothing can match.
 */
export async function rarestTrigrams(em: EntityManager, accountId: string, term: string): Promise<number[] | null> {
  const all = termTrigrams(term);
  if (all.length === 0) return [];
  const sample = all.length <= TRIGRAMS_COUNTED ? all : [...new Set(Array.from({ length: TRIGRAMS_COUNTED }, (_, i) => all[Math.round((i * (all.length - 1)) / (TRIGRAMS_COUNTED - 1))]))];
  const counted = sample.map((_, i) => `(SELECT COUNT(*) FROM (SELECT 1 AS one FROM api_token_trigram WHERE accountId = ? AND trigram = ? LIMIT ${TRIGRAM_COUNT_CAP}) c${i}) AS n${i}`);
  const [row] = await em.query(
    `SELECT ${counted.join(', ')}`,
    sample.flatMap((g) => [accountId, g]),
  );
  const counts = sample.map((g, i) => ({ g, n: Number(row[`n${i}`]) }));
  if (counts.some((c) => c.n === 0)) return null;
  counts.sort((a, b) => a.n - b.n);
  if (counts[0].n >= TRIGRAM_COUNT_CAP) return [];
  return counts.slice(0, TRIGRAMS_JOINED).map((c) => c.g);
}

/**
 * Indexes the tokens that have no trigram rows yet, 1,000 tokens per read and multi-row INSERTs: the
 * migration that creates the table (every token), and at start-up of the synchronised SQLite database
 * (tokens written before the table existed). A token whose texts are under three characters has no
 * trigrams and is read again, which costs one row each.
 */
export async function backfillTokenTrigrams(db: { query(sql: string, params?: unknown[]): Promise<any> }): Promise<number> {
  let after = '';
  let indexed = 0;
  for (;;) {
    const tokens: Array<{ id: string; accountId: string; name: string; description: string | null }> = await db.query(
      'SELECT t.id AS id, t.accountId AS accountId, t.name AS name, t.description AS description FROM api_token t ' +
        'WHERE t.id > ? AND NOT EXISTS (SELECT 1 FROM api_token_trigram g WHERE g.tokenId = t.id) ORDER BY t.id LIMIT 1000',
      [after],
    );
    if (tokens.length === 0) return indexed;
    const rows = tokens.flatMap((t) => tokenTrigrams(t.name, t.description).map((g) => [t.accountId, g, t.id]));
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      await db.query(`INSERT INTO api_token_trigram (accountId, trigram, tokenId) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flat());
    }
    indexed += tokens.length;
    after = tokens[tokens.length - 1].id;
  }
}
