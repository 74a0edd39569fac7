import { badInput } from '../errors';

/** Trim and check a required single-line text field. */
export function requiredText(field: string, value: string, max: number, min = 1): string {
  const v = value.trim();
  if ([...v].length < min || [...v].length > max) throw badInput(field, `must be ${min} to ${max} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw badInput(field, 'must not contain control characters');
  return v;
}

/** Optional multi-line text: empty becomes null. */
export function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v === '') return null;
  if ([...v].length > max) throw badInput(field, `must be at most ${max} characters long`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) throw badInput(field, 'must not contain control characters');
  return v;
}

const EMAIL_RE = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizeEmail(field: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (v.length > 254 || !EMAIL_RE.test(v)) throw badInput(field, 'must be a valid e-mail address');
  return v;
}

export function assertId(field: string, value: string, isId: (v: string) => boolean): string {
  if (!isId(value)) throw badInput(field, 'is not a valid id');
  return value;
}
