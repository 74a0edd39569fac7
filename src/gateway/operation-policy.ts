import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { DocumentNode, getOperationAST, GraphQLError, OperationTypeNode } from 'graphql';
import { readsSchema, schemaRefusal } from '../http/introspection-policy';
import type { GatewayUser } from './auth';

export interface OperationPolicyOptions {
  /** INTROSPECTION: anyone may read the supergraph's schema. Off: OWNER and ADMIN only (the tokens service's policy). */
  introspection: boolean;
  /** Context field generic-auth stores the caller in (its default: currentUser). */
  contextFieldName?: string;
}

/** The tokens service's words for the same rule (src/authz/permissions.ts). */
export const READ_ONLY_TOKEN_MESSAGE = 'This request uses a READ_ONLY API token: it may run queries only';

/**
 * A READ_ONLY API token may run queries only, in every subgraph: whatever a
 * subgraph's directives allow (a catalog scope on a mutation field, or none at
 * all), a mutation or subscription from such a caller is refused as a whole.
 * The caller is the effective role the tokens service reported (the token's
 * role capped by its owner's), as on the direct path; READ_ONLY users signed in
 * with a session keep the few mutations the tokens service allows them (their
 * own tokens, logout), which it checks itself.
 */
export function readOnlyRefusal(user: GatewayUser | null | undefined, document: DocumentNode, operationName: string | null | undefined): GraphQLError | null {
  if (!user || user.via !== 'apiToken' || user.role !== 'READ_ONLY') return null;
  // No single operation to run (ambiguous or unknown name): graphql-js refuses it; refuse it here all the same.
  const operation = getOperationAST(document, operationName ?? undefined)?.operation;
  if (operation === OperationTypeNode.QUERY) return null;
  return new GraphQLError(READ_ONLY_TOKEN_MESSAGE, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/**
 * Decisions about the operation as a whole, taken before generic-auth's
 * field-by-field walk and before anything is planned or sent to a subgraph:
 *
 * - READ_ONLY API tokens: queries only (readOnlyRefusal);
 * - introspection (`__schema`, `__type`) when it is not public: OWNER and ADMIN
 *   only; anonymous callers UNAUTHENTICATED (401), others FORBIDDEN (403).
 *
 * Both refuse the whole operation, with no data, and carry their HTTP status in
 * filter mode as in reject mode: filter mode's 200 with nulls is for fields a
 * caller's scopes do not reach inside an operation they may run, as an invalid
 * credential is 401 in both modes.
 */
export function useOperationPolicy(opts: OperationPolicyOptions): GatewayPlugin {
  const field = opts.contextFieldName ?? 'currentUser';
  const refusalFor = (args: { document: DocumentNode; operationName?: string | null; contextValue?: unknown }): GraphQLError | null => {
    const user = (args.contextValue as Record<string, unknown> | undefined)?.[field] as GatewayUser | null | undefined;
    const readOnly = readOnlyRefusal(user, args.document, args.operationName);
    if (readOnly) return readOnly;
    if (!opts.introspection && readsSchema(args.document)) return schemaRefusal(user);
    return null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = refusalFor(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = refusalFor(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}
