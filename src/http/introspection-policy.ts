import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { DocumentNode, GraphQLError, visit } from 'graphql';
import type { Context } from '../context';
import { isAdminRole } from '../common/roles';
import type { Role } from '../common/roles';

/**
 * Fields that read the schema: introspection (`__schema`, `__type`) and the
 * federation SDL (`_service { sdl }`, which answers even with introspection
 * off). `__typename` is not one of them.
 */
const SCHEMA_FIELDS = new Set(['__schema', '__type', '_service']);

/** Parsed documents are reused from the servers' caches, so the verdict is kept per document object. */
const verdicts = new WeakMap<DocumentNode, boolean>();

/** Does the operation read the schema (__schema, __type or _service)? */
export function readsSchema(document: DocumentNode): boolean {
  const known = verdicts.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (SCHEMA_FIELDS.has(node.name.value)) {
        found = true;
        return false;
      }
      return undefined;
    },
  });
  verdicts.set(document, found);
  return found;
}

/**
 * The policy when the schema is not public (production by default), shared by
 * the tokens service and the gateway: OWNER and ADMIN callers may read it, so
 * admins can still explore the API in Apollo Sandbox with their token;
 * anonymous callers get UNAUTHENTICATED (401), everyone else FORBIDDEN (403).
 * Null when the caller may read the schema.
 */
export function schemaRefusal(caller: { role: Role | string } | null | undefined): GraphQLError | null {
  if (caller && isAdminRole(caller.role as Role)) return null;
  return new GraphQLError('Introspection is only available to OWNER and ADMIN callers', {
    extensions: { code: caller ? 'FORBIDDEN' : 'UNAUTHENTICATED', http: { status: caller ? 403 : 401 } },
  });
}

/**
 * The tokens service's side of the policy: Apollo's own introspection switch is
 * all-or-nothing (and does not cover `_service`), so it stays on and this
 * plugin decides per request, before anything executes.
 */
export function introspectionPolicy(isPublic: boolean): ApolloServerPlugin<Context> {
  if (isPublic) return {};
  // One listener for every request: it keeps no per-request state.
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ document, contextValue }) {
      if (!readsSchema(document)) return;
      const refusal = schemaRefusal(contextValue.principal);
      if (refusal) throw refusal;
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
