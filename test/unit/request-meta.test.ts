import { requestMeta } from '../../src/common/request-meta';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('requestMeta', () => {
  afterEach(() => {
    while (requestMeta.inFlight > 0) requestMeta.end();
  });

  test('a request keeps its metadata across awaits while another one ends', async () => {
    const seen: string[] = [];
    let releaseFirst!: () => void;
    const firstDone = new Promise<void>((r) => (releaseFirst = r));
    const first = requestMeta.run({ ip: '192.0.2.1' }, async () => {
      await firstDone;
      seen.push(`first ${requestMeta.current().ip}`);
    });
    const second = requestMeta.run({ ip: '192.0.2.2' }, async () => {
      await tick();
      // The first request is still running: ending it must not wipe the second's store.
      releaseFirst();
      await first;
      requestMeta.end(); // the first request's response closes
      await tick();
      seen.push(`second ${requestMeta.current().ip}`);
    });
    await second;
    expect(seen).toEqual(['first 192.0.2.1', 'second 192.0.2.2']);
    expect(requestMeta.inFlight).toBe(1);
    requestMeta.end();
    expect(requestMeta.inFlight).toBe(0);
  });

  test('outside any request there is no metadata, and runs work again after the storage was switched off', async () => {
    expect(requestMeta.current()).toEqual({});
    await requestMeta.run({ ip: '192.0.2.3', userAgent: 'ua' }, async () => {
      await tick();
      expect(requestMeta.current()).toEqual({ ip: '192.0.2.3', userAgent: 'ua' });
    });
    requestMeta.end();
    expect(requestMeta.current()).toEqual({});
    await requestMeta.run({ ip: '192.0.2.4' }, async () => {
      await tick();
      expect(requestMeta.current().ip).toBe('192.0.2.4');
    });
    requestMeta.end();
  });

  test('an extra end() is harmless', () => {
    requestMeta.end();
    expect(requestMeta.inFlight).toBe(0);
  });
});
