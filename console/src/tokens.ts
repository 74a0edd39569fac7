import { graphql } from './graphql';

export const TokenRow = graphql(`
  fragment TokenRow on ApiToken {
    id name description username hint role environment status scopes
    createdAt expiresAt expiringSoon lastUsedAt useCount allowedCidrs rateLimitPerMinute
    owner { id name email }
    createdBy { id name }
  }
`);

export const TokensQuery = graphql(
  `
  query Tokens($filter: ApiTokenFilter, $first: Int, $after: String) {
    apiTokens(filter: $filter, first: $first, after: $after) {
      totalCount totalCountIsCapped
      pageInfo { hasNextPage endCursor }
      nodes { ...TokenRow }
    }
  }
`,
  [TokenRow],
);

export const RevokeToken = graphql(`
  mutation RevokeToken($id: ID!) { revokeApiToken(id: $id) { id status revokedAt expiringSoon } }
`);

export const DeleteToken = graphql(`
  mutation DeleteToken($id: ID!) { deleteApiToken(id: $id) }
`);

export const STATUS_OPTIONS = [
  { value: '', label: 'All but deleted' },
  { value: 'ACTIVE', label: 'Active' },
  { value: 'EXPIRED', label: 'Expired' },
  { value: 'DISABLED', label: 'Disabled' },
  { value: 'REVOKED', label: 'Revoked' },
  { value: 'DELETED', label: 'Deleted' },
  { value: 'ALL', label: 'All, deleted included' },
] as const;
