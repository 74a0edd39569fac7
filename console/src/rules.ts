import { useQuery } from 'urql';
import { graphql } from './graphql';

export const RulesQuery = graphql(`
  query TokenRules { account { id tokenRules { tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays canCreateTokens } } }
`);

const RULE_TYPES = { additionalTypenames: ['AccountPolicy'] };

/** The account's token rules as they apply to the caller: what the token screens offer. */
export function useTokenRules() {
  const [result] = useQuery({ query: RulesQuery, context: RULE_TYPES });
  return { rules: result.data?.account.tokenRules, fetching: result.fetching && !result.data };
}

export const CREATION_TEXT = {
  ALL_MEMBERS: 'everyone',
  ADMINS_ONLY: 'owners and admins',
  OWNER_ONLY: 'owners',
} as const;
