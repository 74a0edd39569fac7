import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
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

/**
 * The bcrypt work itself, on worker threads that lower their own CPU priority
 * (nice 19; on Linux the nice value is per thread, so the event loop keeps
 * nice 0). The kernel then runs the event loop first whenever both want a
 * core, which a plain limit cannot promise on a machine shared with the
 * database and other processes. Elsewhere, or if a worker cannot start, the
 * same calls run on the libuv threadpool as before.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (process.platform === 'linux') { try { require('node:os').setPriority(0, 19); } catch {} }
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ id, op, a, b }) => {
  try {
    parentPort.postMessage({ id, result: op === 'hash' ? bcrypt.hashSync(a, b) : bcrypt.compareSync(a, b) });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});`;

type Job = { resolve: (value: string | boolean) => void; reject: (err: Error) => void };

export class LowPriorityBcrypt {
  private readonly idle: Worker[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  hash(password: string, rounds: number): Promise<string> {
    return this.call('hash', password, rounds) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.call('compare', password, hash) as Promise<boolean>;
  }

  /** Callers' limiters bound the calls in flight, so they bound the workers too. */
  private call(op: 'hash' | 'compare', a: string, b: string | number): Promise<string | boolean> {
    let worker: Worker;
    try {
      worker = this.idle.pop() ?? this.spawn();
    } catch {
      return op === 'hash' ? bcrypt.hash(a, b as number) : bcrypt.compare(a, b as string);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      (worker as Worker & { jobId?: number }).jobId = id;
      worker.ref();
      worker.postMessage({ id, op, a, b });
    });
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath: require.resolve('bcrypt') } }) as Worker & { jobId?: number };
    worker.on('message', (msg: { id: number; result?: string | boolean; error?: string }) => {
      const job = this.jobs.get(msg.id);
      this.jobs.delete(msg.id);
      worker.jobId = undefined;
      worker.unref(); // an idle worker never keeps the process alive
      this.idle.push(worker);
      if (!job) return;
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result as string | boolean);
    });
    const fail = (err: Error) => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      const job = worker.jobId === undefined ? undefined : this.jobs.get(worker.jobId);
      if (worker.jobId !== undefined) this.jobs.delete(worker.jobId);
      worker.jobId = undefined;
      job?.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bcrypt worker exited with code ${code}`)));
    worker.unref();
    return worker;
  }
}

/** One pool per process: its workers are created on demand, up to the number of calls in flight at once. */
export const lowPriorityBcrypt = new LowPriorityBcrypt();

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
  private readonly bcrypt = lowPriorityBcrypt;

  constructor(
    private readonly rounds: number,
    limits: HashingLimits = { concurrency: defaultBcryptConcurrency(), queueLimit: DEFAULT_BCRYPT_QUEUE_LIMIT },
  ) {
    this.limiter = new ConcurrencyLimiter(limits.concurrency, limits.queueLimit);
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => this.bcrypt.hash(password, this.rounds));
  }

  /** An over-long password can never match, but still costs one comparison, so timing says nothing. */
  verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return this.verifyAgainstNothing(password);
    return this.limiter.run(() => this.bcrypt.compare(password, hash));
  }

  /**
   * Spend the same time as a real comparison, so an unknown e-mail is not told apart by timing.
   * It waits in the same queue as real comparisons, so queueing (or a refusal) says nothing either.
   */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= bcrypt.hash('tokengate-timing-equaliser', this.rounds); // once per process
    const dummy = this.dummyHash;
    await this.limiter.run(async () => this.bcrypt.compare(password.slice(0, MAX_PASSWORD_BYTES), await dummy));
    return false;
  }
}
