import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { DocumentNode, GraphQLError, visit } from 'graphql';
import type { Context } from '../context';
import { isAdminRole } from '../common/roles';

/** Apollo reuses parsed documents from its cache, so the verdict is kept per document object. */
const verdicts = new WeakMap<DocumentNode, boolean>();

/** Does the operation ask for the schema (__schema / __type)? __typename is not introspection. */
export function usesIntrospection(document: DocumentNode): boolean {
  const known = verdicts.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
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
 * When introspection is not public (production by default), only OWNER and
 * ADMIN callers may introspect, so admins can still explore the API in Apollo
 * Sandbox with their token while anonymous callers learn nothing. Apollo's own
 * switch is all-or-nothing, so it stays on and this plugin decides per request.
 */
export function introspectionPolicy(isPublic: boolean): ApolloServerPlugin<Context> {
  if (isPublic) return {};
  // One listener for every request: it keeps no per-request state.
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ document, contextValue }) {
      if (!usesIntrospection(document)) return;
      const p = contextValue.principal;
      if (p && isAdminRole(p.role)) return;
      throw new GraphQLError('Introspection is only available to OWNER and ADMIN callers', {
        extensions: { code: p ? 'FORBIDDEN' : 'UNAUTHENTICATED', http: { status: p ? 403 : 401 } },
      });
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
