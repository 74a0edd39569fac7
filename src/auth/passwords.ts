import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { AppError, badInput } from '../errors';

export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt only reads the first 72 bytes: longer passwords are refused, not silently truncated. */
export const MAX_PASSWORD_BYTES = 72;

export function validatePassword(password: string, field = 'password'): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) throw badInput(field, `must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw badInput(field, `must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores anything longer)`);
  }
}

/** Default BCRYPT_CONCURRENCY: every core but one, so the event loop always has a core for token traffic. */
export const defaultBcryptConcurrency = (): number => Math.max(1, availableParallelism() - 1);
export const DEFAULT_BCRYPT_QUEUE_LIMIT = 64;

export const HASHING_BUSY = 'Too many sign-ins are in progress; try again in a few seconds';

/**
 * At most `concurrency` tasks run at once; up to `queueLimit` more wait, first
 * come first served; beyond that a task is refused at once with
 * SERVICE_UNAVAILABLE instead of waiting without bound.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new RangeError(`queueLimit must be a whole number ≥ 0, got ${queueLimit}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) return this.start(task);
    if (this.waiting.length >= this.queueLimit) return Promise.reject(new AppError('SERVICE_UNAVAILABLE', HASHING_BUSY));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.start(task).then(resolve, reject);
      });
    });
  }

  private async start<T>(task: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.(); // takes the freed slot synchronously, so nobody overtakes the queue
    }
  }
}

export interface HashingLimits {
  /** bcrypt operations running at once (each occupies a libuv threadpool thread and a core). */
  concurrency: number;
  /** Operations allowed to wait for a slot; more are refused with SERVICE_UNAVAILABLE. */
  queueLimit: number;
}

/**
 * bcrypt at a fixed cost, through a ConcurrencyLimiter: a storm of sign-ins
 * cannot occupy every core (and the whole libuv threadpool), so API-token
 * traffic on the event loop keeps its latency.
 */
export class PasswordHasher {
  private dummyHash?: Promise<string>;
  readonly limiter: ConcurrencyLimiter;

  constructor(
    private readonly rounds: number,
    limits: HashingLimits = { concurrency: defaultBcryptConcurrency(), queueLimit: DEFAULT_BCRYPT_QUEUE_LIMIT },
  ) {
    this.limiter = new ConcurrencyLimiter(limits.concurrency, limits.queueLimit);
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => bcrypt.hash(password, this.rounds));
  }

  /** An over-long password can never match, but still costs one comparison, so timing says nothing. */
  verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return this.verifyAgainstNothing(password);
    return this.limiter.run(() => bcrypt.compare(password, hash));
  }

  /**
   * Spend the same time as a real comparison, so an unknown e-mail is not told apart by timing.
   * It waits in the same queue as real comparisons, so queueing (or a refusal) says nothing either.
   */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= bcrypt.hash('tokengate-timing-equaliser', this.rounds);
    const dummy = this.dummyHash;
    await this.limiter.run(async () => bcrypt.compare(password.slice(0, MAX_PASSWORD_BYTES), await dummy));
    return false;
  }
}
