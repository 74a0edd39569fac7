import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets must be usable for signing, so they are stored
 * encrypted (AES-256-GCM), never in plaintext, under a key derived with HKDF
 * from SESSION_SIGNING_KEY. Rotating SESSION_SIGNING_KEY makes existing
 * webhook secrets unreadable: recreate the webhooks then.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(signingKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', signingKey, 'tokengate', 'webhook-secret-encryption v1', 32));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return 'v1.' + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
  }

  decrypt(stored: string): string {
    if (!stored.startsWith('v1.')) throw new Error('unknown secret encoding');
    const raw = Buffer.from(stored.slice(3), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export const newWebhookSecret = (): string => 'whsec_' + randomBytes(32).toString('base64url');

/** HMAC-SHA-256 of `${timestamp}.${body}` under the webhook's secret, hex. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
