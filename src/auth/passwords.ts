import bcrypt from 'bcrypt';
import { badInput } from '../errors';

export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt only reads the first 72 bytes: longer passwords are refused, not silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

export function validatePassword(password: string, field = 'password'): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) throw badInput(field, `must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw badInput(field, `must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores anything longer)`);
  }
}

export class PasswordHasher {
  private dummyHash?: Promise<string>;
  constructor(private readonly rounds: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  /** An over-long password can never match, but still costs one comparison, so timing says nothing. */
  verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return this.verifyAgainstNothing(password);
    return bcrypt.compare(password, hash);
  }

  /** Spend the same time as a real comparison, so an unknown e-mail is not told apart by timing. */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= bcrypt.hash('tokengate-timing-equaliser', this.rounds);
    await bcrypt.compare(password.slice(0, MAX_PASSWORD_BYTES), await this.dummyHash);
    return false;
  }
}
