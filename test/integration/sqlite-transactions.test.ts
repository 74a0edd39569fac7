import { startTestApp, TestApp } from '../helpers/app';
import { Account } from '../../src/modules/account/account.entity';
import { newId } from '../../src/common/ids';

/*
 * Overlapping transactions must stay independent: one that rolls back must
 * not take another's committed work with it. On SQLite (one connection) this
 * holds only because transactions are queued; on MySQL it is the database's job.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.stop());

test('a rolled-back transaction never undoes an overlapping one', async () => {
  const ds = app.db.dataSource;
  const keepId = newId();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));

  const failing = ds.transaction(async (em) => {
    await em.save(em.getRepository(Account).create({ id: newId(), name: 'doomed' }));
    await gate; // another request's transaction runs meanwhile (or waits for this one)
    throw new Error('roll me back');
  });
  const committing = ds.transaction(async (em) => {
    await em.save(em.getRepository(Account).create({ id: keepId, name: 'kept' }));
  });
  setTimeout(release, 50);
  await expect(failing).rejects.toThrow('roll me back');
  await committing;

  const names = (await ds.getRepository(Account).find()).map((a) => a.name);
  expect(names).toContain('kept');
  expect(names).not.toContain('doomed');
});
