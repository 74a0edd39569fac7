import type { Logger } from 'pino';
import type { Principal } from './auth/principal';
import type { Loaders } from './loaders';
import type { Services } from './services';

/** Per-request context, built once by the server's context function. */
export interface Context {
  requestId: string;
  ip: string | undefined;
  userAgent: string | undefined;
  principal: Principal | null;
  loaders: Loaders;
  services: Services;
  logger: Logger;
  /** Introspection is on: the subgraph SDL may be served to anyone. */
  schemaIsPublic: boolean;
  /** Switch the request to a principal that just signed in (signUp, login, refreshSession). */
  actAs(principal: Principal): void;
}
