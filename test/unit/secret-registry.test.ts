import { generateSecret } from '../../src/auth/token-format';
import { newRefreshToken } from '../../src/auth/session-tokens';
import { newWebhookSecret } from '../../src/modules/webhook/webhook-crypto';
import { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../../src/subgraph-kit';
import { findLeaks, isRegistered, leaksIn, observeRequest, observeResponse, registerAuthorization, registerSecret, SecretLeakError } from '../helpers/secret-registry';

/*
 * The secrets registry behind every integration file's teardown check
 * (test/helpers/secret-registry.ts): what it learns from traffic, and what it
 * deliberately leaves out. Its end-to-end proof is test/integration/secret-hygiene.test.ts.
 */
const URL = 'http://localhost:1/graphql';
const json = (body: unknown) => JSON.stringify(body);
const send = (body: unknown, headers: Record<string, string> = {}) => observeRequest(URL, 'POST', new Headers({ 'content-type': 'application/json', ...headers }), json(body));

describe('what is registered', () => {
  test('an API token: the secret and the part after its hint, never the public hint; short values never', () => {
    const { secret, hint } = generateSecret();
    registerSecret('token', secret);
    expect(isRegistered(secret)).toBe(true);
    expect(isRegistered(secret.slice(hint.length))).toBe(true);
    expect(isRegistered(hint)).toBe(false);
    registerSecret('bad input', 'x');
    registerSecret('bad input', 'short');
    expect(isRegistered('x') || isRegistered('short')).toBe(false);
  });

  test('refresh tokens and webhook secrets with their bodies, a JWT with its signature, escaped forms', () => {
    const refresh = newRefreshToken();
    const hook = newWebhookSecret();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLWVub3VnaC1sZW5ndGg';
    for (const s of [refresh, hook, jwt, 'pass "quoted" word']) registerSecret('s', s);
    expect([refresh.slice(4), hook.slice(6), jwt.split('.')[2], 'pass \\"quoted\\" word', 'pass%20%22quoted%22%20word'].map(isRegistered)).toEqual([true, true, true, true, true]);
    expect(isRegistered('eyJzdWIiOiJ4In0')).toBe(false); // a JWT's claims are not secret
  });

  test('Authorization: the credential after any scheme, and the password of Basic, not the username', () => {
    registerAuthorization('a request', `Basic ${Buffer.from('tgu_someusername:basic-password-1').toString('base64')}`);
    registerAuthorization('a request', 'APIKey apikey-credential-1');
    expect(isRegistered('basic-password-1')).toBe(true);
    expect(isRegistered('apikey-credential-1')).toBe(true);
    expect(isRegistered('tgu_someusername')).toBe(false);
  });

  test('requests: variables at any depth, inline literals, variables bound to a credential argument, gateway headers, token= bodies', () => {
    send({ query: 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }', variables: { input: { email: 'a@example.com', password: 'from-variables-1' } } });
    send({ query: 'mutation { login(email: "a@example.com", password: "inline-literal-1") { accessToken } }' });
    send({ query: 'mutation($p: String!) { login(email: "a@example.com", password: $p) { accessToken } }', variables: { p: 'bound-variable-1' } });
    send({ query: '{ me { id } }' }, { [IDENTITY_HEADER]: 'identity-jwt-value-1', [GATEWAY_SECRET_HEADER]: 'gateway-secret-value-1' });
    observeRequest(URL, 'POST', new Headers(), new URLSearchParams({ token: 'introspected-token-1' }));
    for (const s of ['from-variables-1', 'inline-literal-1', 'bound-variable-1', 'identity-jwt-value-1', 'gateway-secret-value-1', 'introspected-token-1']) {
      expect([s, isRegistered(s)]).toEqual([s, true]);
    }
    expect(isRegistered('a@example.com')).toBe(false);
  });

  test('responses: issued secrets at any depth; errors are kept for the check', async () => {
    observeResponse('POST x', 200, json({ data: { createApiToken: { secret: 'issued-secret-12', token: { hint: 'tgk_abcd', name: 'not-a-secret' } } } }));
    observeResponse('POST x', 200, json({ data: { a: { refreshSession: { accessToken: 'issued-access-1', refreshToken: 'issued-refresh-1' } } } }));
    expect(['issued-secret-12', 'issued-access-1', 'issued-refresh-1'].map(isRegistered)).toEqual([true, true, true]);
    expect(isRegistered('not-a-secret')).toBe(false);

    observeResponse('POST x', 400, json({ errors: [{ message: 'echoed issued-secret-12 back' }] }), 'login at POST x');
    const leaks = await findLeaks({ consumeErrors: true });
    expect(leaks).toEqual([{ label: 'createApiToken.secret issued by POST x', preview: 'issued… (16 chars)', where: 'an error in the answer to login at POST x' }]);
    expect(await findLeaks({})).toEqual([]); // consumed
  });
});

describe('routers: the token exchange and coprocessor payloads', () => {
  test('subject_token sent, access_token issued, the client Authorization a router forwards, a break answer kept', async () => {
    observeRequest(
      'http://localhost:1/oauth/token',
      'POST',
      new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      new URLSearchParams({ subject_token: 'subject-token-value-1' }).toString(),
    );
    observeResponse('POST /oauth/token', 200, json({ access_token: 'exchanged-jwt-value-1', token_type: 'Bearer' }));
    send({ version: 1, stage: 'RouterRequest', headers: { Authorization: ['APIKey forwarded-apikey-1'], host: ['127.0.0.1:4000'] } });
    send({ version: 1, stage: 'router.request', headers: { authorization: 'Bearer forwarded-bearer-1' } });
    for (const s of ['subject-token-value-1', 'exchanged-jwt-value-1', 'forwarded-apikey-1', 'forwarded-bearer-1']) expect([s, isRegistered(s)]).toEqual([s, true]);
    expect(isRegistered('127.0.0.1:4000')).toBe(false);

    observeResponse('POST /coprocessor/hive', 200, json({ version: 1, control: { break: 401 }, body: json({ errors: [{ message: 'no forwarded-apikey-1 here' }] }) }));
    const leaks = await findLeaks({ consumeErrors: true });
    expect(leaks.map((l) => l.where)).toEqual(['the break answer of POST /coprocessor/hive']);
  });
});

describe('the check', () => {
  test('reports the longest registered form once per place, and the line it is on', async () => {
    const { secret, hint } = generateSecret();
    registerSecret('a token', secret);
    const lines = [json({ msg: 'fine' }), json({ msg: 'whole', v: secret }), json({ msg: 'tail only', v: secret.slice(hint.length) })];
    const leaks = await findLeaks({ logs: [{ where: 'a log', lines }] });
    expect(leaks.map((l) => [l.label, l.where])).toEqual([
      ['a token', 'a log, line 2 ("whole")'],
      ['a token (after its hint)', 'a log, line 3 ("tail only")'],
    ]);
    expect(leaksIn(lines[1])).toEqual(expect.arrayContaining(['a token', 'a token (after its hint)']));
  });

  test('the failure message names the file and the places, never a secret', () => {
    const { secret } = generateSecret();
    const err = new SecretLeakError([{ label: 'a token', preview: `${secret.slice(0, 6)}… (46 chars)`, where: 'column user.name' }], 'test/integration/x.test.ts');
    expect(err.message).toMatch(/^Secrets hygiene: 1 leak\(s\) in test\/integration\/x\.test\.ts\n  - a token \[tgk_\w\w… \(46 chars\)\] in column user\.name\n/);
    expect(err.message).not.toContain(secret.slice(6));
    const twice = new SecretLeakError([err.leaks[0], err.leaks[0]], 'x.test.ts');
    expect(twice.message).toContain('in column user.name (2 times)\n');
  });
});
