import { KnownSecrets } from '../../src/auth/known-secrets';

/** The memory of usable token digests an address locked for guessing is checked against. */
describe('KnownSecrets', () => {
  let now = 0;
  let reads = 0;
  let stored: string[] = [];
  let failing = false;
  const make = () =>
    new KnownSecrets(
      async (limit) => {
        reads++;
        if (failing) throw new Error('database unavailable');
        return stored.slice(0, limit);
      },
      () => now,
      10_000,
      3,
    );
  beforeEach(() => {
    now = 1_000_000;
    reads = 0;
    stored = ['a', 'b'];
    failing = false;
  });

  test('read when first asked, then answered from memory; an unknown digest costs no read within the period', async () => {
    const k = make();
    expect(await k.knows('a')).toBe(true);
    expect(reads).toBe(1);
    for (let i = 0; i < 5; i++) expect(await k.knows('guess')).toBe(false);
    expect(await k.knows('b')).toBe(true);
    expect(reads).toBe(1);
  });

  test('a digest not yet known is found at the next read, one period later at most', async () => {
    const k = make();
    await k.knows('a');
    stored = ['a', 'b', 'c'];
    expect(await k.knows('c')).toBe(false);
    now += 9_999;
    expect(await k.knows('c')).toBe(false);
    now += 1;
    expect(await k.knows('c')).toBe(true);
    expect(reads).toBe(2);
  });

  test('concurrent askers share one read', async () => {
    const k = make();
    const answers = await Promise.all(['a', 'x', 'y', 'b'].map((d) => k.knows(d)));
    expect(answers).toEqual([true, false, false, true]);
    expect(reads).toBe(1);
  });

  test('digests issued or verified are added once the memory exists; it stays bounded', async () => {
    const k = make();
    k.add('early'); // before the first read: the read covers it
    await k.knows('a');
    expect(await k.knows('early')).toBe(false);
    k.add('c');
    expect(await k.knows('c')).toBe(true);
    k.add('d'); // full (3)
    expect(k.size).toBe(3);
    expect(await k.knows('d')).toBe(false);
    expect(reads).toBe(1);
  });

  test('a digest added while a read is in flight survives that read', async () => {
    let release!: () => void;
    const k = new KnownSecrets(
      () => new Promise<string[]>((resolve) => (release = () => resolve(['a']))),
      () => now,
      10_000,
      10,
    );
    const pending = k.knows('fresh');
    k.add('fresh');
    release();
    expect(await pending).toBe(true);
  });

  test('a failed read answers false and is not retried before the period ends; a clock set back forces a read', async () => {
    const k = make();
    failing = true;
    expect(await k.knows('a')).toBe(false);
    expect(await k.knows('a')).toBe(false);
    expect(reads).toBe(1);
    failing = false;
    now += 10_000;
    expect(await k.knows('a')).toBe(true);
    now -= 60_000;
    expect(await k.knows('zzz')).toBe(false);
    expect(reads).toBe(3);
  });
});
