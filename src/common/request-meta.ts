/**
 * Who is at the other end of an HTTP request, for the audit trail: the GraphQL context builds it
 * (`ctx.meta`) and resolvers hand it, explicitly, to the service methods that write audit events, as
 * Vendure passes its RequestContext. Work no request asked for (the scheduler, scripts) passes `null`.
 * Never stored on a Principal: principals are cached and shared by the requests of one credential.
 */
export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  requestId?: string;
}
