import { allow, deny, rule, shield } from 'graphql-shield';
import type { ShieldRule } from 'graphql-shield/typings/types';
import { isReadOnlyToken, Principal } from '../auth/principal';
import type { Context } from '../context';
import { isAdminRole } from '../common/roles';
import { AppError, forbidden, unauthenticated } from '../errors';

/*
 * Authorization in one place, deny by default. The map below names a rule for
 * every root field and every object field; anything missing falls to `deny`.
 * test/unit/permissions.test.ts prints the whole map against the schema and
 * compares it with test/unit/permissions.snapshot.txt, so any change in who can
 * reach what shows up in review.
 *
 * Every rule is `no_cache`: they are cheap checks of the context, and some read
 * `parent` (graphql-shield's contextual cache would leak across objects) or run
 * after signUp/login switched the request's principal.
 */

/** One check of the request: true to let it through, or the refusal to answer with. */
type Check = (parent: unknown, ctx: Context) => true | AppError;

const authenticated: Check = (_p, ctx) => (ctx.principal ? true : unauthenticated());
const notReadOnlyToken: Check = (_p, ctx) => writerRefusal(ctx.principal) ?? true;
const admin: Check = (_p, ctx) => adminRefusal(ctx.principal) ?? true;

/**
 * A rule made of checks run in order, the first refusal answering: what graphql-shield's `chain()` does,
 * without it. graphql-shield 7.6.5, its last release, calls `util.isUndefined` in chain() and race(), and
 * Node 23 removed that function, so every chained rule threw (INTERNAL_SERVER_ERROR) on Node 24.
 */
const inOrder = (name: string, ...checks: Check[]) =>
  rule(name, { cache: 'no_cache' })((parent, _a, ctx: Context) => {
    for (const check of checks) {
      const verdict = check(parent, ctx);
      if (verdict !== true) return verdict;
    }
    return true;
  });

/**
 * The checks behind the `writer` and `adminWriter` rules, as functions: changes that rest on the
 * caller's authority run them again inside their transaction with the caller's fresh role
 * (src/verification/authority.ts), so the rule and the re-check can never drift apart.
 */
export function writerRefusal(principal: Principal | null): AppError | null {
  return isReadOnlyToken(principal) ? forbidden('This request uses a READ_ONLY API token: it may run queries only') : null;
}

export function adminRefusal(principal: Principal | null): AppError | null {
  return principal && isAdminRole(principal.role) ? null : forbidden('Only OWNER and ADMIN may do this');
}

/** For User fields beyond id and name: the user themself, or an admin of the account. */
const selfOrAdmin: Check = (parent, ctx) =>
  ctx.principal && ((parent as { id?: string } | null)?.id === ctx.principal.userId || isAdminRole(ctx.principal.role))
    ? true
    : forbidden("Only the user themself and the account's OWNER and ADMIN may see this field");

/**
 * The subgraph SDL (`_service`) answers even with introspection off: only when the schema is public, or to
 * an admin. introspectionPolicy() refuses it first, for the whole operation and with the HTTP status; this
 * rule is the second line, with the same codes.
 */
const canReadSchema = rule('canReadSchema', { cache: 'no_cache' })((_p, _a, ctx: Context) =>
  ctx.schemaIsPublic || (ctx.principal && isAdminRole(ctx.principal.role))
    ? true
    : ctx.principal
      ? forbidden('Introspection is only available to OWNER and ADMIN callers')
      : unauthenticated('Introspection is only available to OWNER and ADMIN callers'),
);

export const RULES = {
  /** Anyone, anonymous included. */
  public: allow,
  /** Anyone, except a request whose effective role comes from a READ_ONLY API token. */
  publicMutation: inOrder('isNotReadOnlyToken', notReadOnlyToken),
  authenticated: inOrder('isAuthenticated', authenticated),
  /** Authenticated, and not a READ_ONLY API token. */
  writer: inOrder('writer', authenticated, notReadOnlyToken),
  /** OWNER or ADMIN, reading. */
  adminReader: inOrder('adminReader', authenticated, admin),
  /** OWNER or ADMIN, changing something. */
  adminWriter: inOrder('adminWriter', authenticated, notReadOnlyToken, admin),
  selfOrAdmin: inOrder('selfOrAdmin', authenticated, selfOrAdmin),
  schemaReader: canReadSchema,
  deny,
} satisfies Record<string, ShieldRule>;

export type RuleName = keyof typeof RULES;
export const FALLBACK_RULE: RuleName = 'deny';

export const PERMISSIONS: Record<string, Record<string, RuleName>> = {
  Query: {
    me: 'public',
    account: 'authenticated',
    apiToken: 'authenticated',
    apiTokens: 'authenticated',
    users: 'authenticated',
    notifications: 'authenticated',
    notificationSettings: 'authenticated',
    apiTokenAlerts: 'authenticated',
    webhooks: 'adminReader',
    webhookDeliveries: 'adminReader',
    auditEvents: 'adminReader',
    /** The account's scope catalog: every user of the account. */
    scopes: 'authenticated',
    /** The caller's own sessions (the service scopes by caller). */
    sessions: 'authenticated',
    /** Federation: reference resolvers apply the same visibility as the root queries. */
    _entities: 'authenticated',
    _service: 'schemaReader',
  },
  Mutation: {
    signUp: 'publicMutation',
    login: 'publicMutation',
    refreshSession: 'publicMutation',
    logout: 'publicMutation',
    /** The caller's own password and sessions; the service refuses changePassword over an API token. */
    changePassword: 'writer',
    revokeSession: 'writer',
    revokeOtherSessions: 'writer',
    revokeLeakedApiToken: 'publicMutation',
    createApiToken: 'writer',
    regenerateApiToken: 'writer',
    updateApiToken: 'writer',
    revokeApiToken: 'writer',
    deleteApiToken: 'writer',
    disableApiToken: 'writer',
    enableApiToken: 'writer',
    revokeApiTokens: 'adminWriter',
    createUser: 'adminWriter',
    createServiceAccount: 'adminWriter',
    updateUserRole: 'adminWriter',
    deactivateUser: 'adminWriter',
    reactivateUser: 'adminWriter',
    updateAccountPolicy: 'adminWriter',
    markNotificationsRead: 'writer',
    updateNotificationSettings: 'writer',
    createWebhook: 'adminWriter',
    deleteWebhook: 'adminWriter',
    createScope: 'adminWriter',
    deleteScope: 'adminWriter',
  },
  Account: { id: 'authenticated', name: 'authenticated', policy: 'adminReader', tokenRules: 'authenticated' },
  /** What the token form needs (creation policy, lifetimes), for every user of the account. */
  TokenRules: { '*': 'authenticated' },
  AccountPolicy: { '*': 'authenticated' },
  /** Anyone who can see a token can see the id and name of the users it references. */
  User: { '*': 'selfOrAdmin', id: 'authenticated', name: 'authenticated' },
  /** Token visibility is enforced by the queries themselves (account and owner/issuer scoped). */
  ApiToken: { '*': 'authenticated' },
  ApiTokenConnection: { '*': 'authenticated' },
  ApiTokenEdge: { '*': 'authenticated' },
  UserConnection: { '*': 'authenticated' },
  UserEdge: { '*': 'authenticated' },
  PageInfo: { '*': 'authenticated' },
  CreatedApiToken: { '*': 'authenticated' },
  /** The answer of revokeApiTokens (OWNER/ADMIN only, checked on the mutation). */
  RevokeApiTokensResult: { '*': 'authenticated' },
  AuthPayload: { '*': 'authenticated' },
  Session: { '*': 'authenticated' },
  /** Usage history of a token the caller can see (the parent query checked visibility). */
  ApiTokenUsageDay: { '*': 'authenticated' },
  ApiTokenUsageByIp: { '*': 'authenticated' },
  /** The caller's own notifications (the queries are scoped to the caller). */
  Notification: { '*': 'authenticated' },
  NotificationConnection: { '*': 'authenticated' },
  NotificationEdge: { '*': 'authenticated' },
  NotificationSettings: { '*': 'authenticated' },
  ApiTokenAlerts: { '*': 'authenticated' },
  /** Webhooks and the audit trail: OWNER and ADMIN of the account only. */
  Webhook: { '*': 'adminReader' },
  CreatedWebhook: { '*': 'adminReader' },
  WebhookDelivery: { '*': 'adminReader' },
  WebhookDeliveryAttempt: { '*': 'adminReader' },
  WebhookDeliveryConnection: { '*': 'adminReader' },
  WebhookDeliveryEdge: { '*': 'adminReader' },
  AuditEvent: { '*': 'adminReader' },
  /** Catalog entries of the caller's account (the query is account scoped). */
  AccountScope: { '*': 'authenticated' },
  AuditEventConnection: { '*': 'adminReader' },
  AuditEventEdge: { '*': 'adminReader' },
  _Service: { sdl: 'schemaReader' },
};

export function createPermissions() {
  const tree = Object.fromEntries(Object.entries(PERMISSIONS).map(([type, fields]) => [type, Object.fromEntries(Object.entries(fields).map(([f, r]) => [f, RULES[r]]))]));
  return shield(tree, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: new AppError('FORBIDDEN', 'You are not allowed to do this'),
    debug: false,
  });
}
