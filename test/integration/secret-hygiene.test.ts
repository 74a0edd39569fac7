import { startTestApp } from '../helpers/app';
import { isRegistered, SecretLeakError } from '../helpers/secret-registry';
import { createToken, PASSWORD, signUp } from '../helpers/world';

/*
 * Every integration file ends with a secrets check (startTestApp's stop(),
 * test/helpers/secret-registry.ts). It must be able to fail: plant secrets the
 * test handled in a log line, a column and an error, and it names each one and
 * where it is, without printing any of them.
 */
test('stop() fails on a secret planted in a log line, a column and an error, naming each without printing it', async () => {
  const leaky = await startTestApp();
  let stopping = false;
  try {
    const owner = await signUp(leaky, 'leaky');
    const token = await createToken(leaky, owner);
    const afterHint = token.secret.slice(token.hint.length);

    // Learned from the traffic, not told: what was issued and what was sent; not the public hint.
    expect(await leaky.findLeaks()).toEqual([]);
    for (const s of [token.secret, afterHint, PASSWORD, owner.session.slice('Bearer '.length), owner.refreshToken]) expect(isRegistered(s)).toBe(true);
    expect(isRegistered(token.hint)).toBe(false);

    leaky.server.logger.child({ component: 'planted' }).info({ note: `copied ${token.secret}` }, 'a careless debug line');
    await leaky.db.dataSource.query('UPDATE api_token SET description = ? WHERE id = ?', [`see ${afterHint}`, token.id]);
    // A validation error echoes the value it refuses: here the password, sent where an Int goes.
    const echoed = await leaky.gql('query($n: Int) { apiTokens(first: $n) { totalCount } }', { n: PASSWORD }, owner.session);
    expect(echoed.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const leaks = await leaky.findLeaks();
    expect(leaks).toEqual(
      expect.arrayContaining([
        {
          label: expect.stringMatching(/^createApiToken\.secret issued by POST http:\/\/localhost:\d+\/graphql$/),
          preview: `${token.secret.slice(0, 6)}… (${token.secret.length} chars)`,
          where: expect.stringMatching(/^the tokens service log, line \d+ \("a careless debug line", component planted\)$/),
        },
        {
          label: expect.stringMatching(/^createApiToken\.secret issued by .* \(after its hint\)$/),
          preview: `${afterHint.slice(0, 6)}… (${afterHint.length} chars)`,
          where: 'column api_token.description',
        },
        {
          label: expect.stringMatching(/^variables\.input\.password sent to signUp at POST /),
          preview: `${PASSWORD.slice(0, 6)}… (${PASSWORD.length} chars)`,
          where: expect.stringMatching(/^an error in the answer to apiTokens at POST /),
        },
      ]),
    );
    expect(leaks).toHaveLength(3);

    stopping = true;
    const failure = await leaky.stop().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(SecretLeakError);
    expect(leaky.db.dataSource.isInitialized).toBe(false); // the database was still dropped
    const message = (failure as Error).message;
    expect(message).toMatch(/^Secrets hygiene: 3 leak\(s\) in test\/integration\/secret-hygiene\.test\.ts\n/);
    expect(message).toContain('in column api_token.description');
    for (const s of [token.secret, afterHint, PASSWORD]) expect(message).not.toContain(s);
  } finally {
    if (!stopping) await leaky.stop().catch(() => undefined);
  }
});
