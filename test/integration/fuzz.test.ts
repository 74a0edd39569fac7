import { startTestApp, TestApp } from '../helpers/app';
import { createToken, createWorld, World } from '../helpers/world';

/*
 * Thousands of generated malformed or hostile requests. Deterministic: the
 * generator is seeded (FUZZ_SEED to vary it), so a failure reproduces. The
 * service must never answer 5xx, never show a stack, never die, and the
 * database must be exactly as before (none of these requests is a valid write).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 1500);

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let app: TestApp;
let world: World;
let secret: string;
let username: string;

beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
  const t = await createToken(app, world.member, { name: 'fuzz' });
  secret = t.secret;
  username = t.username;
});
afterAll(() => app?.stop());

async function snapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['account', 'user', 'api_token', 'session', 'refresh_token']) {
    const rows = await app.db.dataSource.query(`SELECT COUNT(*) AS n FROM ${app.db.kind === 'mysql' ? `\`${table}\`` : `"${table}"`}`);
    out[table] = Number(rows[0].n);
  }
  const tokens = await app.db.dataSource.query('SELECT storedStatus, secretHash, role, name FROM api_token ORDER BY id');
  out.tokenState = JSON.stringify(tokens).length;
  return out;
}

test(`${ROUNDS} hostile requests (seed ${SEED}): no 5xx, no stack, no crash, no write`, async () => {
  const rnd = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (n: number) => Math.floor(rnd() * n);
  const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(int(0xffff))).join('');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // Header values must be bytes: printable Latin-1 only (fetch refuses anything else before sending).
  const hjunk = (n: number) =>
    Array.from({ length: n }, () => String.fromCharCode(0x21 + int(0xff - 0x21)))
      .join('')
      .replace(/\x7f/g, '~');

  const authorizations = (): string | undefined =>
    pick([
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${hjunk(20)}`,
      `Bearer ${'a'.repeat(int(6000))}`,
      `Bearer ${secret.slice(0, -1)}X`,
      `Bearer ${secret}${secret}`,
      `APIKey ${secret.toLowerCase()}`,
      `APIKey tgk_${'0'.repeat(42)}`,
      `APIKey ${hjunk(5)}`,
      `Basic ${b64(`${username}:${secret.slice(0, 20)}`)}`,
      `Basic ${b64(`wrong:${secret}`)}`,
      `Basic ${b64(':')}`,
      `Basic ${hjunk(8)}`,
      'Basic ====',
      `Bearer eyJhbGciOiJub25lIn0.${b64('{"sub":"x"}')}.`,
      `Bearer ${world.owner.session.slice(7, -3)}abc`,
      `Digest ${hjunk(10)}`,
      `${hjunk(3)} ${hjunk(3)}`,
    ]);

  const documents = (): string =>
    pick([
      '{ me { id } }',
      `{ ${'me { account { '.repeat(int(30))} id ${'} } '.repeat(int(30))} }`,
      `{ ${Array.from({ length: int(200) }, (_, i) => `a${i}: me { id }`).join(' ')} }`,
      `{ apiTokens(first: ${pick(['-1', '101', '1e9', '"x"', 'null', '0'])}) { totalCount } }`,
      `{ apiTokens(after: ${JSON.stringify(junk(int(100)))}) { totalCount } }`,
      `{ apiToken(id: ${JSON.stringify(junk(int(50)))}) { id } }`,
      `{ nope { id } }`,
      `{ me { password passwordHash secretHash } }`,
      `mutation { createApiToken(input: { name: ${JSON.stringify('')} }) { secret } }`,
      `mutation { createApiToken(input: { name: ${JSON.stringify('x'.repeat(101 + int(1000)))} }) { secret } }`,
      `mutation { createApiToken(input: { name: "a", role: SUPERUSER }) { secret } }`,
      `mutation { createApiToken(input: { name: "b", expiresAt: "2001-01-01T00:00:00Z" }) { secret } }`,
      `mutation { createApiToken(input: { name: "c", expiresAt: ${JSON.stringify(junk(10))} }) { secret } }`,
      `mutation { createApiToken(input: { name: "d", ownerId: ${JSON.stringify(world.stranger.id)} }) { secret } }`,
      `mutation { revokeApiToken(id: ${JSON.stringify(junk(36))}) { id } }`,
      `mutation { deleteApiToken(id: "${'0'.repeat(36)}") }`,
      `mutation { updateUserRole(id: ${JSON.stringify(world.owner.id)}, role: OWNER) { id } }`,
      `mutation { signUp(input: { accountName: "", email: "x", password: "y", name: "" }) { accessToken } }`,
      `mutation { login(email: ${JSON.stringify(junk(300))}, password: "") { accessToken } }`,
      `mutation { refreshSession(refreshToken: ${JSON.stringify(junk(int(200)))}) { accessToken } }`,
      `mutation { revokeLeakedApiToken(secret: ${JSON.stringify(`tgk_${junk(42)}`)}) }`,
      `query($x: Int!) { apiTokens(first: $x) { totalCount } }`,
      `{ __schema { types { name } } }`,
      `{ me { id } } { me { id } }`,
      `subscription { me { id } }`,
      `{ me { ...F } } fragment F on User { ...F }`,
      `{ me(id: 1) { id } }`,
      `{ me { id @skip(if: "yes") } }`,
      junk(int(200)),
      '{'.repeat(int(5000)),
    ]);

  const bodies = (): string | Buffer => {
    const query = documents();
    const variables = pick([undefined, null, {}, { x: 'nope' }, { x: junk(50) }, [], 'str', { input: { name: 5 } }, { x: 1e308 }]);
    return pick<string | Buffer>([
      JSON.stringify({ query, variables }),
      JSON.stringify({ query, variables, operationName: junk(10) }),
      JSON.stringify({ query: 42 }),
      JSON.stringify([{ query }, { query }]),
      JSON.stringify({}),
      JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: junk(64) } } }),
      `{"query": ${JSON.stringify(query).slice(0, -int(5) - 1)}`,
      Buffer.concat([Buffer.from('{"query":"{ me { id } }", "v":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0]), Buffer.from('"}')]),
      Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
      'null',
      '"just a string"',
      JSON.stringify({ query: 'x'.repeat(150_000) }),
    ]);
  };

  const before = await snapshot();
  const failures: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const headers: Record<string, string> = {};
    const authorization = authorizations();
    if (authorization !== undefined) headers.authorization = authorization;
    headers['content-type'] = pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded']);
    const body = bodies();
    let status = 0;
    let text = '';
    try {
      const res = await fetch(app.url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      failures.push(`#${i} request failed: ${(err as Error).message}`);
      break;
    }
    if (status >= 500 || /"stacktrace"|\bat [\w.<>]+ \(.*:\d+:\d+\)|node_modules|QueryFailedError|SQLITE_|\bER_[A-Z_]+|INTERNAL_SERVER_ERROR/.test(text)) {
      failures.push(`#${i} ${status} ${authorization ?? '-'} ${String(body).slice(0, 120)} => ${text.slice(0, 200)}`);
      if (failures.length >= 5) break;
    }
  }
  expect(failures).toEqual([]);
  expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
  expect((await app.ok('{ me { id } }', {}, world.member.session)).me.id).toBe(world.member.id);
  expect(await snapshot()).toEqual(before);
}, 300_000);
