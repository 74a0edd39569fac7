import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is at the other end of the current HTTP request, for the audit trail. */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}

const storage = new AsyncLocalStorage<RequestMeta>();

/**
 * Set by an express middleware around /graphql, so services can stamp audit
 * events with the client address and user agent without threading them
 * through every method signature.
 */
export const requestMeta = {
  run<T>(meta: RequestMeta, fn: () => T): T {
    return storage.run(meta, fn);
  },
  current(): RequestMeta {
    return storage.getStore() ?? {};
  },
};
