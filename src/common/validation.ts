import { badInput } from '../errors';

/**
 * Text a person reads (names, descriptions, e-mail addresses) is stored in
 * Unicode NFC, so "é" typed as one code point and as "e" + combining accent is
 * one value, and it may not carry what a reader can not see: control
 * characters (Cc), format characters (Cf: zero-width spaces and joiners, bidi
 * overrides such as U+202E, the BOM, soft hyphens…) or unpaired surrogates,
 * which no encoding can store faithfully. Every name, description and e-mail
 * input goes through here.
 */
const UNPAIRED_SURROGATE = /\p{Cs}/u;
const INVISIBLE = /[\p{Cf}\u2028\u2029]/u;
const SINGLE_LINE_CONTROL = /\p{Cc}/u;
/** Multi-line text keeps tab, line feed and carriage return; every other control character is refused. */
const MULTI_LINE_CONTROL = /[^\P{Cc}\t\n\r]/u;

function cleaned(field: string, value: string, multiLine: boolean): string {
  if (UNPAIRED_SURROGATE.test(value)) throw badInput(field, 'must be well-formed Unicode text (it contains an unpaired surrogate)');
  const v = value.normalize('NFC').trim();
  if ((multiLine ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL).test(v)) throw badInput(field, 'must not contain control characters');
  if (INVISIBLE.test(v)) {
    throw badInput(field, 'must not contain invisible formatting characters (zero-width spaces or joiners, bidi controls, line separators…)');
  }
  return v;
}

/** A required single-line text field: NFC, trimmed, visible characters only. */
export function requiredText(field: string, value: string, max: number, min = 1): string {
  const v = cleaned(field, value, false);
  const length = [...v].length;
  if (length < min || length > max) throw badInput(field, `must be ${min} to ${max} characters long`);
  return v;
}

/** Optional multi-line text: NFC, trimmed; empty becomes null. */
export function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = cleaned(field, value, true);
  if (v === '') return null;
  if ([...v].length > max) throw badInput(field, `must be at most ${max} characters long`);
  return v;
}

/** A search string compared with stored text: normalised like the text, never refused (it is not stored). */
export function searchText(value: string): string {
  return value.normalize('NFC').trim();
}

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * The form an e-mail address is stored and looked up in: NFC, trimmed, lower
 * case (NFC again, as lower-casing can decompose, e.g. "İ"). Sign-in uses this
 * too, so an address typed in NFD finds the user registered in NFC.
 */
export function canonicalEmail(value: string): string {
  return value.normalize('NFC').trim().toLowerCase().normalize('NFC');
}

/** A new user's e-mail address: canonical, a plausible address, and nothing invisible in it. */
export function normalizeEmail(field: string, value: string): string {
  const v = canonicalEmail(cleaned(field, value, false));
  if (v.length > 254 || !EMAIL_RE.test(v)) throw badInput(field, 'must be a valid e-mail address');
  return v;
}

export function assertId(field: string, value: string, isId: (v: string) => boolean): string {
  if (!isId(value)) throw badInput(field, 'is not a valid id');
  return value;
}
