import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';

/**
 * The gateway's identity signing key (ES256, P-256). The gateway signs with
 * the private key; the tokens service holds the same key (IDENTITY_PRIVATE_KEY)
 * and publishes the public half at GET /.well-known/jwks.json, which every
 * subgraph verifies against.
 */
export interface IdentityKeys {
  privateKey: KeyObject;
  kid: string;
  publicJwk: JWK;
  jwks: JSONWebKeySet;
}

/** Parse and check a PKCS8 PEM; throws a message fit for a ConfigError. */
export function parseIdentityKey(pem: string): IdentityKeys {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
  } catch {
    throw new Error('IDENTITY_PRIVATE_KEY is not a PEM private key (PKCS8, EC P-256)');
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('IDENTITY_PRIVATE_KEY must be an EC P-256 key, e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`');
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
  // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' };
  return { privateKey, kid, publicJwk, jwks: { keys: [publicJwk] } };
}

export function generateIdentityKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Development convenience: a key generated once and kept in the data directory (mode 600). */
export function developmentIdentityKeyPem(dataDir: string): string {
  const file = join(dataDir, 'identity-private-key.pem');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  mkdirSync(dataDir, { recursive: true });
  const pem = generateIdentityKeyPem();
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return pem;
}
