import type { RunningGateway } from '../../src/gateway/gateway';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import { ApiToken } from '../../src/modules/api-token/api-token.entity';
import { CREATE_TOKEN, ME, REGENERATE, REVOKE, setPolicy, UPDATE_ROLE } from '../helpers/api-tokens';
import { startSupergraph, Supergraph } from '../helpers/supergraph';
import type { GqlResponse, TestApp } from '../helpers/app';
import { addUser, Actor, auth, createToken, createWorld, CreatedToken, World } from '../helpers/world';

/**
 * Whoever holds a token's secret acts as its owner. Regeneration hands out a
 * secret, so it follows the issuing rule: only the owner, or an OWNER/ADMIN
 * whose role is not below the owner's current role. The attack: an ADMIN
 * regenerated an OWNER-owned token, received the secret and acted as the
 * OWNER. Revoking stays open to admins.
 */
let sg: Supergraph;
let app: TestApp;
let world: World;
let gw: RunningGateway;
let adminKey: CreatedToken;
beforeAll(async () => {
  sg = await startSupergraph();
  app = sg.app;
  world = await createWorld(app);
  await setPolicy(app, world.owner, { maxActiveTokens: 1000 });
  adminKey = await createToken(app, world.admin, { name: 'admin-key' });
  gw = await sg.startGateway('regenerate');
});
afterAll(() => sg?.stop());

const code = (res: GqlResponse) => res.errors?.[0]?.extensions?.code;
const meWith = async (secret: string) => (await app.ok(ME, {}, auth.apiKey(secret))).me;
const storedSecretHash = async (id: string) => (await app.db.dataSource.getRepository(ApiToken).findOneByOrFail({ id })).secretHash;
const regenerations = (id: string) => app.db.dataSource.getRepository(AuditEvent).countBy({ targetId: id, action: 'token.regenerated' });

/** The refusal leaves everything as it was: no secret in the answer, the old one still works, nothing audited. */
async function expectRefused(res: GqlResponse, token: CreatedToken, ownerId: string) {
  expect(code(res)).toBe('FORBIDDEN');
  expect(res.data?.regenerateApiToken ?? null).toBeNull();
  expect(res.raw).not.toMatch(/tgk_/);
  expect((await meWith(token.secret)).id).toBe(ownerId);
  expect(await regenerations(token.id)).toBe(0);
}

describe("regenerating another user's token", () => {
  test("an ADMIN can not regenerate the OWNER's token (the attack), directly or through the gateway", async () => {
    const ownersToken = await createToken(app, world.owner, { name: 'owner-ci', role: 'ADMIN' });
    const hash = await storedSecretHash(ownersToken.id);
    const direct = await app.gql(REGENERATE, { id: ownersToken.id }, world.admin.session);
    await expectRefused(direct, ownersToken, world.owner.id);
    expect(direct.errors![0].message).toBe('You cannot issue or regenerate tokens for a user whose role (OWNER) is above yours (ADMIN)');
    const viaGateway = await sg.gql(gw, REGENERATE, { id: ownersToken.id }, auth.apiKey(adminKey.secret));
    await expectRefused(viaGateway, ownersToken, world.owner.id);
    expect(await storedSecretHash(ownersToken.id)).toBe(hash);
    // With a grace period it is refused alike.
    await expectRefused(await app.gql(REGENERATE, { id: ownersToken.id, grace: 3600 }, world.admin.session), ownersToken, world.owner.id);
  });

  test('an ADMIN can not issue a token for the OWNER either (the same rule, the same code)', async () => {
    const count = () => app.db.dataSource.getRepository(ApiToken).countBy({ ownerId: world.owner.id });
    const before = await count();
    for (const res of [
      await app.gql(CREATE_TOKEN, { input: { name: 'as-owner', ownerId: world.owner.id, role: 'MEMBER' } }, world.admin.session),
      await sg.gql(gw, CREATE_TOKEN, { input: { name: 'as-owner', ownerId: world.owner.id } }, auth.apiKey(adminKey.secret)),
    ]) {
      expect(code(res)).toBe('FORBIDDEN');
      expect(res.raw).not.toMatch(/tgk_/);
    }
    expect(await count()).toBe(before);
  });

  test("but an ADMIN may still revoke the OWNER's tokens, directly and through the gateway", async () => {
    for (const call of [(id: string) => app.gql(REVOKE, { id }, world.admin.session), (id: string) => sg.gql(gw, REVOKE, { id }, auth.apiKey(adminKey.secret))]) {
      const t = await createToken(app, world.owner, { name: `owner-revocable-${Math.random()}` });
      const res = await call(t.id);
      expect(res.errors).toBeUndefined();
      expect(res.data.revokeApiToken.status).toBe('REVOKED');
      expect(code(await app.gql(ME, {}, auth.apiKey(t.secret)))).toBe('UNAUTHENTICATED');
    }
  });

  test("the owner's current role counts: a member promoted to OWNER after an ADMIN issued their token is out of that ADMIN's reach", async () => {
    const riser = await addUser(app, world.owner, 'MEMBER', 'riser');
    const t = await createToken(app, world.admin, { name: 'for-riser', ownerId: riser.id });
    // While a MEMBER, the ADMIN may rotate it (and the secret acts as the member).
    const r = (await app.ok(REGENERATE, { id: t.id }, world.admin.session)).regenerateApiToken;
    expect((await meWith(r.secret)).id).toBe(riser.id);
    await app.ok(UPDATE_ROLE, { id: riser.id, role: 'OWNER' }, world.owner.session);
    const rotated = { ...t, secret: r.secret };
    const before = await regenerations(t.id);
    const res = await app.gql(REGENERATE, { id: t.id }, world.admin.session);
    expect(code(res)).toBe('FORBIDDEN');
    expect((await meWith(rotated.secret)).id).toBe(riser.id);
    expect(await regenerations(t.id)).toBe(before);
  });

  test('an issuer demoted below ADMIN may no longer rotate the tokens they issued for others, but may revoke them', async () => {
    const issuer = await addUser(app, world.owner, 'ADMIN', 'issuer');
    const target = await addUser(app, world.owner, 'MEMBER', 'target');
    const t = await createToken(app, issuer, { name: 'issued-for-target', ownerId: target.id, role: 'READ_ONLY' });
    await app.ok(UPDATE_ROLE, { id: issuer.id, role: 'MEMBER' }, world.owner.session);
    const res = await app.gql(REGENERATE, { id: t.id }, issuer.session);
    await expectRefused(res, t, target.id);
    expect(res.errors![0].message).toBe('Only OWNER and ADMIN may issue or regenerate tokens for another user');
    expect((await app.ok(REVOKE, { id: t.id }, issuer.session)).revokeApiToken.status).toBe('REVOKED');
  });
});

describe('what stays allowed', () => {
  const rotates = async (by: Actor | string, t: CreatedToken, ownerId: string, viaGateway = false) => {
    const res = viaGateway ? await sg.gql(gw, REGENERATE, { id: t.id }, by as string) : await app.gql(REGENERATE, { id: t.id }, (by as Actor).session);
    expect(res.errors).toBeUndefined();
    const secret = res.data.regenerateApiToken.secret as string;
    expect((await meWith(secret)).id).toBe(ownerId);
    expect(code(await app.gql(ME, {}, auth.apiKey(t.secret)))).toBe('UNAUTHENTICATED');
  };

  test('the owner themself, an ADMIN for a MEMBER or another ADMIN, the OWNER for anyone, through the gateway too', async () => {
    await rotates(world.owner, await createToken(app, world.owner, { name: 'own' }), world.owner.id);
    await rotates(world.admin, await createToken(app, world.member, { name: 'members' }), world.member.id);
    const peer = await addUser(app, world.owner, 'ADMIN', 'peer');
    await rotates(world.admin, await createToken(app, peer, { name: 'peers' }), peer.id);
    await rotates(world.owner, await createToken(app, world.admin, { name: 'admins' }), world.admin.id);
    await rotates(auth.apiKey(adminKey.secret), await createToken(app, world.readOnly, { name: 'ro-via-gw', role: 'READ_ONLY' }), world.readOnly.id, true);
  });

  test('another account is NOT_FOUND and anonymous callers UNAUTHENTICATED, directly and through the gateway', async () => {
    const t = await createToken(app, world.owner, { name: 'foreign-target' });
    expect(code(await app.gql(REGENERATE, { id: t.id }, world.stranger.session))).toBe('NOT_FOUND');
    expect(code(await app.gql(REGENERATE, { id: t.id }))).toBe('UNAUTHENTICATED');
    const strangerKey = await createToken(app, world.stranger, { name: 'stranger-key' });
    expect(code(await sg.gql(gw, REGENERATE, { id: t.id }, auth.apiKey(strangerKey.secret)))).toBe('NOT_FOUND');
    expect((await meWith(t.secret)).id).toBe(world.owner.id);
  });
});
