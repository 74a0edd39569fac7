import type { TestApp } from './app';
import { Actor, LOGIN, PASSWORD, TOKEN_FIELDS } from './world';

/** GraphQL documents and small helpers shared by the api-tokens.*.test.ts files. */

export { CREATE_TOKEN, TOKEN_FIELDS } from './world';
export const GET = `query($id: ID!) { apiToken(id: $id) { ${TOKEN_FIELDS} } }`;
export const LIST = `query($filter: ApiTokenFilter, $first: Int, $after: String) {
  apiTokens(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
    nodes { id name role status environment expiresAt expiringSoon owner { id } createdBy { id } } } }`;
export const REVOKE = `mutation($id: ID!) { revokeApiToken(id: $id) { ${TOKEN_FIELDS} } }`;
export const DELETE = `mutation($id: ID!) { deleteApiToken(id: $id) }`;
export const REGENERATE = `mutation($id: ID!, $grace: Int, $expiresAt: DateTime, $neverExpires: Boolean) {
  regenerateApiToken(id: $id, gracePeriodSeconds: $grace, expiresAt: $expiresAt, neverExpires: $neverExpires) {
    secret token { ${TOKEN_FIELDS} } } }`;
export const REVOKE_LEAKED = `mutation($secret: String!) { revokeLeakedApiToken(secret: $secret) }`;
export const UPDATE_POLICY = `mutation($input: AccountPolicyInput!) { updateAccountPolicy(input: $input) {
  maxActiveTokens tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays } }`;
export const UPDATE_ROLE = `mutation($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id role } }`;
export const DEACTIVATE = `mutation($id: ID!) { deactivateUser(id: $id) { id status } }`;
export const REACTIVATE = `mutation($id: ID!) { reactivateUser(id: $id) { id status } }`;
export const ME = `{ me { id role } }`;

export const DAY = 24 * 60 * 60 * 1000;

/** A syntactically valid token secret (right prefix, length and checksum) that was never issued. */
export { generateSecret } from '../../src/auth/token-format';

/** Set the account policy as its OWNER (or ADMIN). */
export async function setPolicy(app: TestApp, by: Actor, input: Record<string, unknown>): Promise<void> {
  await app.ok(UPDATE_POLICY, { input }, by.session);
}

/** A fresh session for an actor, e.g. after clock.advance made the old access token expire. */
export async function relogin(app: TestApp, actor: Actor): Promise<Actor> {
  const data = await app.ok(LOGIN, { email: actor.email, password: PASSWORD });
  return { ...actor, session: `Bearer ${data.login.accessToken}`, refreshToken: data.login.refreshToken };
}

/** Number of SQL statements one call makes. */
export async function countQueries<T>(app: TestApp, run: () => Promise<T>): Promise<{ result: T; statements: number; sql: string[] }> {
  const before = app.server.queryLogger.count;
  const result = await run();
  const statements = app.server.queryLogger.count - before;
  return { result, statements, sql: statements ? app.server.queryLogger.recent.slice(-statements) : [] };
}

export async function getToken(app: TestApp, authorization: string, id: string): Promise<any> {
  return (await app.ok(GET, { id }, authorization)).apiToken;
}
