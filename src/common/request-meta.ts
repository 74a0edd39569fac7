import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is at the other end of the current HTTP request, for the audit trail. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const storage = new AsyncLocalStorage<RequestMeta>();
/** Requests currently inside run() whose end has not been signalled. */
let inFlight = 0;

/**
 * Set by an express middleware around /graphql mutations, so services can
 * stamp audit events with the client address and user agent without threading
 * them through every method signature.
 *
 * Cost control: on Node 20 an enabled AsyncLocalStorage installs promise hooks
 * for every promise in the process (≈5–7 % of a query's CPU), and it stays
 * enabled after the first run() for good. So each run() is paired with an
 * end(), and the storage is disabled whenever no run is in flight: queries
 * arriving while no mutation is running pay nothing. disable() exits every
 * context of the instance, which is why it only happens at zero.
 */
export const requestMeta = {
  run<T>(meta: RequestMeta, fn: () => T): T {
    inFlight += 1;
    return storage.run(meta, fn);
  },
  /** The request that called run() is over (its response finished or the connection closed). */
  end(): void {
    if (inFlight === 0) return;
    inFlight -= 1;
    if (inFlight === 0) storage.disable();
  },
  current(): RequestMeta {
    return storage.getStore() ?? {};
  },
  /** For tests: how many runs are in flight. */
  get inFlight(): number {
    return inFlight;
  },
};
