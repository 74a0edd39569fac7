import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../common/sha256';

/**
 * API token secrets, after GitHub's format: a recognisable prefix, random
 * base62 characters and a CRC32 checksum in base62, so a mistyped or truncated
 * value is refused without touching the database and secret scanners can find
 * leaked ones with a regular expression:
 *
 *     tgk_ <36 random base62 chars, ~214 bits> <6 base62 chars of CRC32>
 *
 * `hint` (the prefix plus the first four random characters, ~24 bits) is shown
 * in lists; the remaining ~190 bits stay secret. Only SHA-256(secret) is stored.
 */
export const SECRET_PREFIX = 'tgk_';
const RANDOM_LENGTH = 36;
const CHECKSUM_LENGTH = 6;
const HINT_RANDOM_CHARS = 4;
export const SECRET_LENGTH = SECRET_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** Regular expression for secret scanners (documented in docs/tokens.md). */
export const SECRET_PATTERN = /^tgk_[0-9A-Za-z]{42}$/;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform base62 characters by rejection sampling (248 = 4 × 62). */
export function randomBase62(length: number, alphabet = ALPHABET): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  // Secrets are ASCII (checked before this runs on a request): their bytes are their char codes.
  if (/^[\x00-\x7f]*$/.test(text)) {
    for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  } else {
    for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function base62Fixed(value: number, length: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

const checksumOf = (body: string): string => base62Fixed(crc32(body), CHECKSUM_LENGTH);

export interface GeneratedSecret {
  secret: string;
  digest: string;
  hint: string;
}

export function generateSecret(): GeneratedSecret {
  return secretFromRandom(randomBase62(RANDOM_LENGTH));
}

/**
 * The secret made of these 36 base62 characters (prefix and checksum added).
 * generateSecret() draws them from crypto.randomBytes; the seeder derives them
 * from its seed, so the benchmarks can re-derive a seeded token's secret.
 */
export function secretFromRandom(random: string): GeneratedSecret {
  if (random.length !== RANDOM_LENGTH || !/^[0-9A-Za-z]+$/.test(random)) throw new Error(`a secret needs ${RANDOM_LENGTH} base62 characters`);
  const body = SECRET_PREFIX + random;
  const secret = body + checksumOf(body);
  return { secret, digest: digestSecret(secret), hint: hintOf(secret) };
}

export const hintOf = (secret: string): string => secret.slice(0, SECRET_PREFIX.length + HINT_RANDOM_CHARS);

/** True only for a well-formed secret whose checksum matches. Pure: no I/O. */
export function isWellFormedSecret(value: string): boolean {
  if (value.length !== SECRET_LENGTH || !SECRET_PATTERN.test(value)) return false;
  const body = value.slice(0, SECRET_LENGTH - CHECKSUM_LENGTH);
  return checksumOf(body) === value.slice(SECRET_LENGTH - CHECKSUM_LENGTH);
}

export const digestSecret = (secret: string): string => sha256(secret);

/**
 * A name for one secret of a token that is safe to hand to other services:
 * 128 bits of SHA-256 over the stored digest. The gateway's signed identity
 * carries it (claim `sfp`) so the tokens service can tell which secret the
 * gateway verified (the current one, the previous one in its grace period, or
 * one regenerated away since) without the secret or its digest ever leaving.
 */
export const secretFingerprint = (digest: string): string => sha256(`tokengate-sfp:${digest}`, 'base64url').slice(0, 22);

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Token-specific usernames for HTTP Basic authentication (Fly, Jenkins, package managers). */
export const USERNAME_PREFIX = 'tgu_';
export const generateUsername = (): string => USERNAME_PREFIX + randomBase62(16, '0123456789abcdefghijklmnopqrstuvwxyz');
