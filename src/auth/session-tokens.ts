import { randomUUID } from 'node:crypto';
import { sha256 } from '../common/sha256';
import { jwtVerify, SignJWT } from 'jose';
import { randomBase62 } from './token-format';

export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 24 * 60 * 60;
const ISSUER = 'tokengate';
const AUDIENCE = 'tokengate:session';

export interface AccessClaims {
  userId: string;
  accountId: string;
  sessionId: string;
  expiresAt?: Date;
}

/** Access tokens: HS256 JWTs (jose) signed with SESSION_SIGNING_KEY; 1 hour. */
export class SessionTokens {
  private readonly key: Uint8Array;
  constructor(signingKey: string) {
    this.key = new TextEncoder().encode(signingKey);
  }

  async issueAccessToken(claims: AccessClaims, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ACCESS_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ acc: claims.accountId, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID()) // two tokens issued in the same second are still distinct
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Returns the claims, or null for anything invalid, expired or forged. */
  async verifyAccessToken(token: string, now: Date): Promise<AccessClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || typeof payload.acc !== 'string' || typeof payload.sid !== 'string') return null;
      return { userId: payload.sub, accountId: payload.acc, sessionId: payload.sid, expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined };
    } catch {
      return null;
    }
  }
}

/** Refresh tokens are opaque random strings; only their SHA-256 is stored. */
export const REFRESH_PREFIX = 'tgr_';
export const newRefreshToken = (): string => REFRESH_PREFIX + randomBase62(43);
export const digestRefreshToken = (token: string): string => sha256(token);
