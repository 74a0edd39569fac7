import type { Logger } from 'pino';
import type { Principal } from './auth/principal';
import type { RequestMeta } from './common/request-meta';
import type { Loaders } from './loaders';
import type { Services } from './services';

/** Per-request context, built once by the server's context function. */
export interface Context {
  requestId: string;
  ip: string | undefined;
  userAgent: string | undefined;
  /** Address, user agent and id of the request, for the service methods that write audit events. */
  readonly meta: RequestMeta;
  principal: Principal | null;
  loaders: Loaders;
  services: Services;
  /** The service logger bound to this request's id (created on first use). */
  readonly logger: Logger;
  /** Introspection is on: the subgraph SDL may be served to anyone. */
  schemaIsPublic: boolean;
  /** Switch the request to a principal that just signed in (signUp, login, refreshSession). */
  actAs(principal: Principal): void;
}

/**
 * The context as a class: Apollo shallow-copies it per operation with its
 * prototype kept, so methods and the lazy logger live on the prototype and
 * act on the copy the resolvers hold.
 */
export class RequestContext implements Context {
  loaders: Loaders;
  private requestLogger?: Logger;

  constructor(
    readonly requestId: string,
    readonly ip: string | undefined,
    readonly userAgent: string | undefined,
    public principal: Principal | null,
    readonly services: Services,
    private readonly baseLogger: Logger,
    readonly schemaIsPublic: boolean,
    private readonly makeLoaders: (principal: Principal | null) => Loaders,
  ) {
    this.loaders = makeLoaders(principal);
  }

  /** A pino child serialises (and redacts) its bindings when made: most requests never log, so it waits. */
  get logger(): Logger {
    this.requestLogger ??= this.baseLogger.child({ requestId: this.requestId });
    return this.requestLogger;
  }

  /** Made when asked (only mutations that audit ask), so queries allocate nothing for it. */
  get meta(): RequestMeta {
    return { ip: this.ip, userAgent: this.userAgent, requestId: this.requestId };
  }

  actAs(next: Principal): void {
    this.principal = next;
    this.loaders = this.makeLoaders(next);
  }
}
