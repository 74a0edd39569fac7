/**
 * Four projects in one run: pure unit tests once, every integration test
 * twice, on the embedded SQLite default and on MySQL/MariaDB, and the console's
 * browser tests in headless Chromium. test/run.mjs (npm test) decides whether
 * the MySQL and browser projects run and says so when they can't.
 * Integration files also get the secrets-hygiene fetch observer
 * (test/support/secret-hygiene.ts; the check runs in startTestApp's stop()).
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'], rootDir: __dirname };

module.exports = {
  testTimeout: 60_000,
  // On 2 cores Jest would run every file in its own main process, one after another, and that process keeps
  // every module each file loaded: with the OpenTelemetry, Redis and router test files the suite passed
  // V8's 4 GB heap limit about 650 s in. With a memory limit Jest runs the files in a worker instead and
  // replaces it between files whenever it holds more than this (high enough that it is rarely replaced:
  // a fresh worker loads every module again, which at 1 GB cost the suite minutes).
  workerIdleMemoryLimit: '3GB',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'sqlite',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // *.mysql.test.ts exercise a MySQL server itself (stopping and restarting it): MySQL project only.
      testPathIgnorePatterns: ['\\.mysql\\.test\\.ts$'],
      setupFiles: ['<rootDir>/test/support/env-sqlite.cjs'],
      setupFilesAfterEnv: ['<rootDir>/test/support/secret-hygiene.ts'],
    },
    {
      ...common,
      displayName: 'mysql',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // *.redis.mysql.test.ts start their own redis-server: left out when test/run.mjs found none (it says so).
      testPathIgnorePatterns: process.env.TG_NO_REDIS === '1' ? ['\\.redis\\.mysql\\.test\\.ts$'] : [],
      setupFiles: ['<rootDir>/test/support/env-mysql.cjs'],
      setupFilesAfterEnv: ['<rootDir>/test/support/secret-hygiene.ts'],
      globalSetup: '<rootDir>/test/support/mysql-global-setup.cjs',
      globalTeardown: '<rootDir>/test/support/mysql-global-teardown.cjs',
    },
    {
      // The console in headless Chromium, against the service on SQLite (the API's database behaviour is the
      // integration projects' business). test/run.mjs selects it only when Chromium is installed.
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/env-sqlite.cjs'],
      setupFilesAfterEnv: ['<rootDir>/test/support/secret-hygiene.ts'],
      testTimeout: 120_000,
    },
  ],
};
