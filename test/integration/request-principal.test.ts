import { parseIdentityKey } from '../../src/auth/identity-keys';
import type { Principal } from '../../src/auth/principal';
import { requestPrincipal, RequestPrincipal } from '../../src/verification/request-principal';
import { AppError } from '../../src/errors';
import { userFromPrincipal } from '../../src/gateway/auth';
import { IdentitySigner } from '../../src/gateway/identity-signer';
import { GATEWAY_SECRET_HEADER, GatewayIdentity, IDENTITY_HEADER } from '../../src/subgraph-kit';
import { startTestApp, TestApp } from '../helpers/app';
import { Actor, auth, createToken, CreatedToken, signUp } from '../helpers/world';

/** Request → principal (src/verification/request-principal.ts) on its own: headers in, principal or refusal out. */
const GATEWAY_SECRET = 'request-principal-gateway-secret-0123456789';

let app: TestApp;
let owner: Actor;
let stranger: Actor;
let token: CreatedToken;
let direct: RequestPrincipal;
let viaGateway: RequestPrincipal;
let gatewayOnly: RequestPrincipal;
let signer: IdentitySigner;

beforeAll(async () => {
  app = await startTestApp();
  owner = await signUp(app, 'rp-owner', 'Principal Co');
  stranger = await signUp(app, 'rp-stranger', 'Other Co');
  token = await createToken(app, owner, { name: 'rp-token' });
  const identityKeys = parseIdentityKey(app.config.identityPrivateKey);
  const authenticator = app.server.authenticator;
  direct = requestPrincipal({ authenticator, identityKeys, config: { ...app.config, gatewaySecret: undefined, requireGateway: false } });
  viaGateway = requestPrincipal({ authenticator, identityKeys, config: { ...app.config, gatewaySecret: GATEWAY_SECRET, requireGateway: false } });
  gatewayOnly = requestPrincipal({ authenticator, identityKeys, config: { ...app.config, gatewaySecret: GATEWAY_SECRET, requireGateway: true } });
  signer = new IdentitySigner(identityKeys);
});
afterAll(() => app?.stop());

async function resolve(fn: RequestPrincipal, headers: Record<string, string>): Promise<Principal | null> {
  return fn(headers, '203.0.113.7', 'request-principal-test');
}
async function refusal(fn: RequestPrincipal, headers: Record<string, string>): Promise<AppError> {
  const err = await resolve(fn, headers).then(
    (p) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(p)}`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('UNAUTHENTICATED');
  return err as AppError;
}
async function identityOf(authorization: string): Promise<GatewayIdentity> {
  const p = await resolve(direct, { authorization });
  if (!p) throw new Error('no principal');
  return userFromPrincipal(p);
}

describe('without a gateway', () => {
  it('is anonymous without credentials', async () => {
    expect(await resolve(direct, {})).toBeNull();
  });
  it('resolves a session and an API key to their user', async () => {
    const session = await resolve(direct, { authorization: owner.session });
    expect(session).toMatchObject({ userId: owner.id, accountId: owner.accountId, role: 'OWNER', via: 'session' });
    const key = await resolve(direct, { authorization: auth.apiKey(token.secret) });
    expect(key).toMatchObject({ userId: owner.id, accountId: owner.accountId, via: 'apiToken', tokenId: token.id });
  });
  it('refuses a malformed or unknown credential', async () => {
    expect((await refusal(direct, { authorization: 'APIKey' })).message).toMatch(/Malformed Authorization header/);
    await refusal(direct, { authorization: auth.apiKey(token.secret.slice(0, -4) + 'AAAA') });
  });
  it('refuses gateway headers it has no secret for, rather than reading them as anonymous', async () => {
    const jwt = await signer.sign(await identityOf(owner.session), app.config.subgraphName);
    expect((await refusal(direct, { [IDENTITY_HEADER]: jwt })).message).toBe('Gateway identity is not accepted by this service');
    await refusal(direct, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET, authorization: owner.session });
  });
});

describe('behind a gateway', () => {
  it('takes the signed identity as the caller, re-checked here', async () => {
    const jwt = await signer.sign(await identityOf(auth.apiKey(token.secret)), app.config.subgraphName);
    const p = await resolve(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET, [IDENTITY_HEADER]: jwt });
    expect(p).toMatchObject({ userId: owner.id, accountId: owner.accountId, via: 'apiToken', tokenId: token.id });
  });
  it("reads the gateway's own calls without an identity as anonymous, whatever Authorization they carry", async () => {
    expect(await resolve(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET })).toBeNull();
    expect(await resolve(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET, authorization: owner.session })).toBeNull();
  });
  it('refuses a wrong gateway credential and an identity signed for another subgraph', async () => {
    const identity = await identityOf(owner.session);
    const jwt = await signer.sign(identity, app.config.subgraphName);
    await refusal(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET.replace(/.$/, '!'), [IDENTITY_HEADER]: jwt });
    const elsewhere = await signer.sign(identity, 'another-subgraph');
    await refusal(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET, [IDENTITY_HEADER]: elsewhere });
  });
  it("refuses an identity that pairs one account's token with another account's user", async () => {
    const identity = { ...(await identityOf(auth.apiKey(token.secret))), userId: stranger.id, accountId: stranger.accountId };
    const jwt = await signer.sign(identity, app.config.subgraphName);
    await refusal(viaGateway, { [GATEWAY_SECRET_HEADER]: GATEWAY_SECRET, [IDENTITY_HEADER]: jwt });
  });
  it('still answers direct calls unless TOKENS_REQUIRE_GATEWAY refuses them', async () => {
    expect(await resolve(viaGateway, { authorization: owner.session })).toMatchObject({ userId: owner.id });
    expect((await refusal(gatewayOnly, { authorization: owner.session })).message).toMatch(/only through the gateway/);
  });
});
