/**
 * The service's notion of "now". Every time comparison (expiry, sessions) is
 * made in the application with this clock and passed to SQL as a parameter, so
 * SQLite and MySQL agree and tests can move time forward without waiting.
 */
let offsetMs = 0;

export const clock = {
  now: (): Date => new Date(Date.now() + offsetMs),
  nowMs: (): number => Date.now() + offsetMs,
  /** Tests only: shift the service's clock. */
  advance(ms: number): void {
    offsetMs += ms;
  },
  reset(): void {
    offsetMs = 0;
  },
};

export const DAY_MS = 24 * 60 * 60 * 1000;
