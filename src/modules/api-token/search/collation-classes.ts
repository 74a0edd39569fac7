/**
 * Which characters MySQL/MariaDB's utf8mb4_unicode_ci collation treats as the same character in
 * LIKE (it compares one character at a time, by primary weight): letter case, accents, compatibility
 * forms (fullwidth, superscripts), digits of other scripts ("١" is "1"), and one class of characters
 * with no primary weight at all (combining marks, controls: "á" LIKE "â" holds, as 'a' + mark each).
 * Shared by the generator (src/scripts/search-fold-table.ts) and the MariaDB test that checks the
 * committed table against the server it runs on.
 */
export interface CollationQuery {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

/** Every BMP code point (surrogates excluded) grouped by its weight, smallest first; only groups of two or more. */
export async function collationClasses(db: CollationQuery, table = 'search_fold_probe'): Promise<number[][]> {
  await db.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`);
  await db.query(`CREATE TEMPORARY TABLE ${table} (cp INT PRIMARY KEY, c VARCHAR(1)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  try {
    const rows: Array<[number, string]> = [];
    for (let cp = 0; cp <= 0xffff; cp++) if (cp < 0xd800 || cp > 0xdfff) rows.push([cp, String.fromCodePoint(cp)]);
    for (let i = 0; i < rows.length; i += 4000) {
      const chunk = rows.slice(i, i + 4000);
      await db.query(`INSERT INTO ${table} (cp, c) VALUES ${chunk.map(() => '(?, ?)').join(', ')}`, chunk.flat());
    }
    const weights: Array<{ cp: number; w: string }> = await db.query(`SELECT cp, HEX(WEIGHT_STRING(c)) AS w FROM ${table} ORDER BY cp`);
    const groups = new Map<string, number[]>();
    for (const { cp, w } of weights) {
      const group = groups.get(w);
      if (group) group.push(Number(cp));
      else groups.set(w, [Number(cp)]);
    }
    return [...groups.values()].filter((g) => g.length > 1).sort((a, b) => a[0] - b[0]);
  } finally {
    await db.query(`DROP TEMPORARY TABLE IF EXISTS ${table}`);
  }
}

/** The classes as the generated module stores them: groups of hexadecimal code points, ',' within, ';' between. */
export function encodeClasses(classes: number[][]): string {
  return classes.map((g) => g.map((cp) => cp.toString(16)).join(',')).join(';');
}
