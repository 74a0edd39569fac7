import { AppError } from '../../src/errors';
import { canonicalEmail, normalizeEmail, optionalText, requiredText, searchText } from '../../src/common/validation';

/** The one place names, descriptions and e-mail addresses are normalised and refused. */
const refusal = (fn: () => unknown): { code: string; message: string } | null => {
  try {
    fn();
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, message: err.message };
  }
};

const NFC = 'jos\u00e9';
const NFD = 'jose\u0301';

describe('requiredText and optionalText', () => {
  test('text is stored in NFC, trimmed', () => {
    expect(NFD).not.toBe(NFC);
    expect(requiredText('name', `  ${NFD} `, 100)).toBe(NFC);
    expect(optionalText('description', `${NFD}\n`, 100)).toBe(NFC);
    // Length counts what a reader sees after composition: 100 decomposed "é" are 100 characters.
    expect(requiredText('name', 'e\u0301'.repeat(100), 100)).toBe('\u00e9'.repeat(100));
  });

  test.each([
    ['zero-width space', 'ad\u200bmin'],
    ['zero-width joiner', 'ad\u200dmin'],
    ['zero-width non-joiner', 'ad\u200cmin'],
    ['word joiner', 'ad\u2060min'],
    ['right-to-left override', 'invoice\u202etxt.exe'],
    ['left-to-right embedding', '\u202aname'],
    ['first-strong isolate', 'na\u2068me'],
    ['right-to-left mark', 'name\u200f'],
    ['byte-order mark inside', 'na\ufeffme'],
    ['soft hyphen', 'na\u00adme'],
    ['bidi mark (Arabic letter mark)', 'na\u061cme'],
    ['tag character', 'name\u{e0041}'],
    ['line separator', 'na\u2028me'],
  ])('a %s is refused, naming the field', (_what, value) => {
    for (const [field, fn] of [
      ['name', () => requiredText('name', value, 100)],
      ['description', () => optionalText('description', value, 1000)],
    ] as const) {
      const r = refusal(fn);
      expect(r).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`^${field}: must not contain invisible formatting characters`)) });
      expect(r!.message).not.toContain(value);
    }
  });

  test.each([
    ['NUL', 'a\u0000b'],
    ['escape', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['C1 next line', 'a\u0085b'],
    ['C1 control', 'a\u009bb'],
  ])('a control character (%s) is refused in both kinds of text', (_what, value) => {
    expect(refusal(() => requiredText('name', value, 100))).toEqual({ code: 'BAD_USER_INPUT', message: 'name: must not contain control characters' });
    expect(refusal(() => optionalText('description', value, 1000))).toEqual({ code: 'BAD_USER_INPUT', message: 'description: must not contain control characters' });
  });

  test('line breaks and tabs: refused in a name, kept in a description', () => {
    expect(refusal(() => requiredText('name', 'two\nlines', 100))?.message).toBe('name: must not contain control characters');
    expect(refusal(() => requiredText('name', 'tab\there', 100))?.message).toBe('name: must not contain control characters');
    expect(optionalText('description', 'two\r\nlines\twith a tab', 100)).toBe('two\r\nlines\twith a tab');
  });

  test.each([
    ['a lone high surrogate', 'name\ud800'],
    ['a lone low surrogate', '\udc00name'],
    ['reversed halves', 'x\ude00\ud83dx'],
  ])('%s is refused', (_what, value) => {
    expect(refusal(() => requiredText('name', value, 100))).toEqual({ code: 'BAD_USER_INPUT', message: 'name: must be well-formed Unicode text (it contains an unpaired surrogate)' });
    expect(refusal(() => optionalText('description', value, 1000))?.message).toMatch(/^description: must be well-formed Unicode text/);
  });

  test('ordinary text of any script, emoji and leading/trailing spaces pass', () => {
    for (const name of ['Zoë Ægir', 'Łódź CI', '東京 deploy', 'Ελληνικά', 'עברית', 'العربية', 'deploy 🚀', 'ä—ö “quotes”']) {
      expect(requiredText('name', ` ${name} `, 100)).toBe(name.normalize('NFC'));
    }
  });

  test('searchText normalises like stored text and refuses nothing', () => {
    expect(searchText(` ${NFD} `)).toBe(NFC);
  });
});

describe('e-mail addresses', () => {
  test('NFC and NFD spellings are one address; case and spaces are folded', () => {
    expect(normalizeEmail('email', `  ${NFD.toUpperCase()}@Example.COM `)).toBe(`${NFC}@example.com`);
    expect(normalizeEmail('email', `${NFC}@example.com`)).toBe(normalizeEmail('email', `${NFD}@example.com`));
    // Sign-in looks addresses up in the same form, without refusing anything.
    expect(canonicalEmail(` ${NFD}@EXAMPLE.com`)).toBe(`${NFC}@example.com`);
    // Lower-casing "İ" yields i + combining dot, which is kept composed where Unicode can.
    expect(canonicalEmail('\u0130@example.com')).toBe('i\u0307@example.com');
  });

  test.each([
    ['a zero-width space', 'ad\u200bmin@example.com', /^email: must not contain invisible formatting characters/],
    ['a bidi override', 'moc.elpmaxe\u202e@example.com', /^email: must not contain invisible formatting characters/],
    ['a lone surrogate', 'a\ud800@example.com', /^email: must be well-formed Unicode text/],
    ['a control character', 'a\u0085b@example.com', /^email: must not contain control characters$/],
  ])('an address with %s is refused', (_what, value, message) => {
    expect(refusal(() => normalizeEmail('email', value))).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
  });
});
