import { AppError } from '../../src/errors';
import { ConcurrencyLimiter, HASHING_BUSY, PasswordHasher } from '../../src/auth/passwords';

/** A task that resolves only when the test says so, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    release: () => release(),
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimiter (bcrypt admission)', () => {
  test('never runs more than N tasks at once, and starts waiting tasks in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(2, 10);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 7 }, (_, i) => gate(log, `t${i}`));
    const results = gates.map((g) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        try {
          return await g.task();
        } finally {
          running--;
        }
      }),
    );
    await flush();
    expect(limiter.running).toBe(2);
    expect(limiter.queued).toBe(5);
    // Release in reverse order of what is running: the freed slots still go to the queue in arrival order.
    for (const i of [1, 0, 3, 2, 5, 4, 6]) {
      gates[i].release();
      await flush();
    }
    expect(await Promise.all(results)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    expect(peak).toBe(2);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start t0', 'start t1', 'start t2', 'start t3', 'start t4', 'start t5', 'start t6']);
    expect(limiter.running).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  test('refuses with SERVICE_UNAVAILABLE once the queue is full, without running the task', async () => {
    const limiter = new ConcurrencyLimiter(1, 2);
    const log: string[] = [];
    const gates = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    const accepted = gates.map((g) => limiter.run(g.task));
    let ranRefused = false;
    const refused = limiter.run(async () => {
      ranRefused = true;
    });
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: HASHING_BUSY });
    for (const g of gates) {
      g.release();
      await flush();
    }
    expect(await Promise.all(accepted)).toEqual(['a', 'b', 'c']);
    expect(ranRefused).toBe(false);
    // Room again once the queue has drained.
    await expect(limiter.run(async () => 'later')).resolves.toBe('later');
  });

  test('a failing task frees its slot for the next one', async () => {
    const limiter = new ConcurrencyLimiter(1, 5);
    const first = limiter.run(async () => {
      throw new Error('boom');
    });
    const second = limiter.run(async () => 'next');
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('next');
    expect(limiter.running).toBe(0);
  });

  test('queue limit 0 means no waiting at all', async () => {
    const limiter = new ConcurrencyLimiter(1, 0);
    const log: string[] = [];
    const g = gate(log, 'only');
    const running = limiter.run(g.task);
    await expect(limiter.run(async () => 'x')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    g.release();
    await expect(running).resolves.toBe('only');
  });

  test('rejects nonsensical limits', () => {
    expect(() => new ConcurrencyLimiter(0, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow(RangeError);
  });
});

describe('PasswordHasher goes through its limiter', () => {
  test('hash, verify and verifyAgainstNothing (the unknown-e-mail path) all wait in the same queue', async () => {
    const hasher = new PasswordHasher(10, { concurrency: 1, queueLimit: 1 });
    const hashed = hasher.hash('correct horse battery');
    // One running, one waiting: a third caller of any kind is refused, including the timing equaliser.
    const waiting = hasher.verifyAgainstNothing('whatever password');
    await expect(hasher.verify('x', '$2b$10$abcdefghijklmnopqrstuu')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(hasher.verifyAgainstNothing('y'.repeat(100))).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const hash = await hashed;
    await expect(waiting).resolves.toBe(false);
    await expect(hasher.verify('correct horse battery', hash)).resolves.toBe(true);
    await expect(hasher.verify('wrong horse battery', hash)).resolves.toBe(false);
    expect(hasher.limiter.running).toBe(0);
  });
});
