import * as crypto from 'node:crypto';

/**
 * SHA-256 of a UTF-8 string. `crypto.hash` (Node ≥ 20.12) digests in one call
 * without building a Hash object, several times cheaper for the short inputs
 * hashed on every request (API token secrets, Authorization headers); older
 * Node 20 releases fall back to createHash. Same bytes either way.
 */
type Encoding = 'hex' | 'base64url';
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: Encoding) => string }).hash;

export const sha256 = oneShot
  ? (value: string, encoding: Encoding = 'hex'): string => oneShot('sha256', value, encoding)
  : (value: string, encoding: Encoding = 'hex'): string => crypto.createHash('sha256').update(value, 'utf8').digest(encoding);
