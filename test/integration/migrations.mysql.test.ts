import { createLogger } from '../../src/logger';
import { MIGRATIONS } from '../../src/db/migrations';
import { createTestDatabase, TestDatabase } from '../helpers/test-db';

/*
 * MySQL schema changes go through migrations only. After every migration has
 * run, the entities must describe exactly the same schema (no pending change),
 * and every migration must revert cleanly and apply again.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(createLogger('silent'));
});
afterAll(() => db?.drop());

async function pendingSchemaChanges(): Promise<string[]> {
  const log = await db.dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

test('migrations and entities agree (run `npm run migration:generate` after changing an entity)', async () => {
  expect(await db.dataSource.showMigrations()).toBe(false);
  expect(await pendingSchemaChanges()).toEqual([]);
});

test('every migration reverts and applies again', async () => {
  for (let i = 0; i < MIGRATIONS.length; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
  const tables = await db.dataSource.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'typeorm_migrations'");
  expect(tables).toEqual([]);
  const applied = await db.dataSource.runMigrations({ transaction: 'each' });
  expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => (m as unknown as { name: string }).name));
  expect(await pendingSchemaChanges()).toEqual([]);
});

test('e-mail addresses are unique exactly: a look-alike address is a different user', async () => {
  const ds = db.dataSource;
  await ds.query(
    "INSERT INTO account (id, name, maxActiveTokens, tokenCreation, defaultTokenLifetimeDays, expiryNotificationDays, createdAt, updatedAt) VALUES ('a0000000-0000-7000-8000-000000000001', 'A', 50, 'ALL_MEMBERS', 365, '30', NOW(3), NOW(3))",
  );
  const insert = (id: string, email: string) =>
    ds.query(
      "INSERT INTO user (id, accountId, email, name, role, status, passwordHash, createdAt, updatedAt) VALUES (?, 'a0000000-0000-7000-8000-000000000001', ?, 'U', 'OWNER', 'ACTIVE', 'x', NOW(3), NOW(3))",
      [id, email],
    );
  await insert('u0000000-0000-7000-8000-000000000001', 'jurgen@example.com');
  await insert('u0000000-0000-7000-8000-000000000002', 'jürgen@example.com');
  await expect(insert('u0000000-0000-7000-8000-000000000003', 'jurgen@example.com')).rejects.toThrow(/Duplicate/);
});
