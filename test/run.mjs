#!/usr/bin/env node
/**
 * npm test: the whole suite, unit tests once and integration tests on SQLite
 * and MySQL/MariaDB. MySQL comes from TEST_DATABASE_URL, or a throwaway server
 * started from mariadbd/mysqld when one is installed. Without either, the MySQL
 * run is skipped with a clear message, except under CI (CI=true) or
 * REQUIRE_MYSQL=1, where a missing MySQL fails the run. The console's browser
 * tests (test/browser) run in Debian's chromium (CHROMIUM_PATH to use another);
 * without it they are skipped with a message, except under CI or REQUIRE_BROWSER=1. The fleet tests
 * (*.redis.mysql.test.ts) start Debian's redis-server (REDIS_SERVER to use another); without it they are
 * skipped with a message, except under CI or REQUIRE_REDIS=1.
 * Extra arguments go to Jest, e.g. `npm test -- test/integration/api-tokens`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { findServer } = require('./support/mysql-server.cjs');
const { findRedisServer } = require('./support/redis-server.cjs');

const ci = process.env.CI === 'true' || process.env.CI === '1';
const required = ci || process.env.REQUIRE_MYSQL === '1';
const haveMysql = Boolean(process.env.TEST_DATABASE_URL) || Boolean(findServer());
const args = process.argv.slice(2);
// The console's browser tests need Debian's chromium (or CHROMIUM_PATH); under CI a missing browser fails.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(chromium);
const projects = [...(haveMysql ? ['unit', 'sqlite', 'mysql'] : ['unit', 'sqlite']), ...(haveChromium ? ['browser'] : [])];

if (!haveChromium) {
  const msg = `Browser tests SKIPPED: no Chromium at ${chromium}.\n` + '  Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to run the console tests (test/browser).';
  if (ci || process.env.REQUIRE_BROWSER === '1') {
    process.stderr.write(`\n${msg}\nCI requires the browser tests: failing.\n`);
    process.exit(1);
  }
  process.stderr.write(`\n${msg}\n\n`);
}

const haveRedis = Boolean(findRedisServer());
if (!haveRedis) {
  const msg = 'Fleet tests SKIPPED: no redis-server found.\n' + '  Install it (Debian: apt-get install redis-server) or set REDIS_SERVER to run test/integration/*.redis.mysql.test.ts.';
  if (ci || process.env.REQUIRE_REDIS === '1') {
    process.stderr.write(`\n${msg}\nCI requires the fleet tests: failing.\n`);
    process.exit(1);
  }
  process.stderr.write(`\n${msg}\n\n`);
}

if (!haveMysql) {
  const msg =
    'MySQL run SKIPPED: no mariadbd/mysqld found and TEST_DATABASE_URL is not set.\n' +
    '  Install a server (Debian: apt-get install mariadb-server) or set\n' +
    '  TEST_DATABASE_URL=mysql://user:password@host:3306/any to run the integration suite on MySQL too.';
  if (required) {
    process.stderr.write(`\n${msg}\nCI requires the MySQL run: failing.\n`);
    process.exit(1);
  }
  process.stderr.write(`\n${msg}\n\n`);
}

const jest = require.resolve('jest/bin/jest');
const summary = join(tmpdir(), `tokengate-jest-${process.pid}.json`);
const result = spawnSync(process.execPath, [jest, ...args, '--selectProjects', ...projects, '--json', `--outputFile=${summary}`], {
  stdio: 'inherit',
  env: { ...process.env, ...(haveRedis ? {} : { TG_NO_REDIS: '1' }) },
});
if (!haveMysql) process.stderr.write('\nMySQL run SKIPPED (see above).\n');
if (!haveChromium) process.stderr.write('\nBrowser tests SKIPPED (see above).\n');
if (!haveRedis && haveMysql) process.stderr.write('\nFleet tests SKIPPED (see above).\n');
if (existsSync(summary)) {
  const r = JSON.parse(readFileSync(summary, 'utf8'));
  rmSync(summary, { force: true });
  // A plain closing line that any CI can read. A file can also fail outside its tests (one that does not
  // compile, or a failing afterAll such as the secrets-hygiene teardown check): Jest counts no failed test
  // then, so the line says so.
  const outside = r.numRuntimeErrorTestSuites;
  process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${outside ? `; ${outside} test file(s) failed outside their tests (see above)` : ''}\n`);
  if (r.numTotalTests === 0) {
    process.stderr.write('No test ran.\n');
    process.exit(1);
  }
}
process.exit(result.status ?? 1);
