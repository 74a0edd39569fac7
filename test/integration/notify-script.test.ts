import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { clock } from '../../src/common/clock';
import { Notification } from '../../src/modules/notification/notification.entity';
import { DAY } from '../helpers/api-tokens';
import { startTestApp, TestApp, TEST_SIGNING_KEY } from '../helpers/app';
import { registerConfigSecrets } from '../helpers/secret-registry';
import { createToken, createWorld, World } from '../helpers/world';

/**
 * `npm run notify` (dist/src/scripts/notify.js) as cron runs it: its own process on the service's database,
 * built from the same core as the service (core.ts), one scheduler pass, its counts on stdout, exit 0.
 */
const NOTIFY = join(__dirname, '..', '..', 'dist', 'src', 'scripts', 'notify.js');

let app: TestApp;
let world: World;

beforeAll(async () => {
  app = await startTestApp();
  world = await createWorld(app);
});
afterAll(() => app?.stop());

function runNotify(extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    SESSION_SIGNING_KEY: TEST_SIGNING_KEY,
    LOG_LEVEL: 'warn',
    DATA_DIR: '/nonexistent-tokengate-notify',
    ...(app.db.databaseUrl ? { DATABASE_URL: app.db.databaseUrl } : { SQLITE_PATH: app.db.sqlitePath }),
    ...extra,
  };
  registerConfigSecrets(env);
  return new Promise((resolve) => {
    execFile(process.execPath, [NOTIFY], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('one pass writes the due expiry notices, prints its counts and exits 0; a second pass finds nothing new', async () => {
  const token = await createToken(app, world.admin, { ownerId: world.member.id, name: 'notify-script', expiresAt: new Date(clock.nowMs() + 10 * DAY).toISOString() });

  const first = await runNotify();
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout).notices).toBeGreaterThanOrEqual(1);
  // The member owns it, the admin issued it, the owner and the admin administer the account.
  const rows = await app.server.dataSource.getRepository(Notification).find({ where: { tokenId: token.id } });
  expect(rows.map((r) => r.userId).sort()).toEqual([world.member.id, world.admin.id, world.owner.id].sort());

  const second = await runNotify();
  expect(second.code).toBe(0);
  expect(JSON.parse(second.stdout).notices).toBe(0);
  expect(await app.server.dataSource.getRepository(Notification).count({ where: { tokenId: token.id } })).toBe(3);
});

test('a configuration error exits 2 naming the variable, without touching the database', async () => {
  const before = await app.server.dataSource.getRepository(Notification).count();
  const result = await runNotify({ NOTIFY_INTERVAL_MS: 'soon' });
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^tokengate notify: configuration error: .*NOTIFY_INTERVAL_MS/);
  expect(await app.server.dataSource.getRepository(Notification).count()).toBe(before);
});
