import type { TestApp } from './app';

export const PASSWORD = 'correct horse battery staple';

export type RoleName = 'OWNER' | 'ADMIN' | 'MEMBER' | 'READ_ONLY';

export interface Actor {
  id: string;
  email: string;
  name: string;
  role: RoleName;
  accountId: string;
  /** "Bearer <session access token>" */
  session: string;
  refreshToken: string;
}

export interface World {
  owner: Actor;
  admin: Actor;
  member: Actor;
  readOnly: Actor;
  /** OWNER of a second account: everything of the first must look absent to them. */
  stranger: Actor;
}

export const auth = {
  apiKey: (secret: string) => `APIKey ${secret}`,
  bearer: (secret: string) => `Bearer ${secret}`,
  basic: (username: string, secret: string) => `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`,
};

let seq = 0;
/** A fresh address; the label may be a person's name ("Max Member" → max-member.…@example.com). */
export const uniqueEmail = (label: string) => `${label.replace(/[^A-Za-z0-9.+-]+/g, '-')}.${process.pid}.${Date.now()}.${++seq}@example.com`;

export const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) {
  accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt user { id email name role account { id } } } }`;
export const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) {
  accessToken refreshToken user { id role } } }`;
export const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id email name role status } }`;
/** Every field of an ApiToken most tests look at. */
export const TOKEN_FIELDS = `id name description username hint role environment status expiresAt expiringSoon
  createdAt lastUsedAt useCount lastUsedIps revokedAt regeneratedAt deletedAt
  owner { id name } createdBy { id name } revokedBy { id name }`;
/** The one createApiToken document of the tests: the secret and TOKEN_FIELDS. */
export const CREATE_TOKEN = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret token { ${TOKEN_FIELDS} } } }`;

export async function signUp(app: TestApp, label: string, accountName = `${label} Inc`): Promise<Actor> {
  const email = uniqueEmail(label);
  const data = await app.ok(SIGN_UP, { input: { accountName, email, password: PASSWORD, name: label } });
  const p = data.signUp;
  return {
    id: p.user.id,
    email,
    name: label,
    role: 'OWNER',
    accountId: p.user.account.id,
    session: `Bearer ${p.accessToken}`,
    refreshToken: p.refreshToken,
  };
}

export async function addUser(app: TestApp, by: Actor, role: RoleName, label: string): Promise<Actor> {
  const email = uniqueEmail(label);
  const created = await app.ok(CREATE_USER, { input: { email, name: label, password: PASSWORD, role } }, by.session);
  const login = await app.ok(LOGIN, { email, password: PASSWORD });
  return {
    id: created.createUser.id,
    email,
    name: label,
    role,
    accountId: by.accountId,
    session: `Bearer ${login.login.accessToken}`,
    refreshToken: login.login.refreshToken,
  };
}

/** An account with one user of every role, and a second account. */
export async function createWorld(app: TestApp): Promise<World> {
  const owner = await signUp(app, 'owner', 'Acme');
  const [admin, member, readOnly, stranger] = await Promise.all([
    addUser(app, owner, 'ADMIN', 'admin'),
    addUser(app, owner, 'MEMBER', 'member'),
    addUser(app, owner, 'READ_ONLY', 'readonly'),
    signUp(app, 'stranger', 'Globex'),
  ]);
  return { owner, admin, member, readOnly, stranger };
}

export interface CreatedToken {
  id: string;
  secret: string;
  username: string;
  hint: string;
  role: RoleName;
  expiresAt: string | null;
}

let tokenSeq = 0;
export async function createToken(app: TestApp, by: Actor | string, input: Record<string, unknown> = {}): Promise<CreatedToken> {
  const authorization = typeof by === 'string' ? by : by.session;
  const data = await app.ok(CREATE_TOKEN, { input: { name: `token-${++tokenSeq}`, ...input } }, authorization);
  const { secret, token } = data.createApiToken;
  return { id: token.id, secret, username: token.username, hint: token.hint, role: token.role, expiresAt: token.expiresAt };
}
