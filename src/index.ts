/**
 * The package's public entry: what other subgraphs import to accept gateway
 * traffic (see docs/gateway.md, "Subgraph kit"), plus the scope mapping.
 */
export * from './subgraph-kit';
export { scopesFor, ROLE_SCOPES } from './authz/scopes';
