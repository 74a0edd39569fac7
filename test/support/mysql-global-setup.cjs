'use strict';
/** Start one throwaway MySQL/MariaDB server for the run, unless TEST_DATABASE_URL names one. */
const { startServer } = require('./mysql-server.cjs');

module.exports = async function globalSetup() {
  if (process.env.TEST_DATABASE_URL) {
    const url = new URL(process.env.TEST_DATABASE_URL);
    url.pathname = '';
    process.env.TG_TEST_MYSQL_URL = url.toString().replace(/\/$/, '');
    return;
  }
  const server = await startServer();
  globalThis.__TOKENGATE_MYSQL__ = server;
  // Workers inherit this; "mariadb://" selects TypeORM's mariadb flavour.
  process.env.TG_TEST_MYSQL_URL = server.url.replace(/^mysql:/, server.flavour === 'mariadb' ? 'mariadb:' : 'mysql:');
  process.stdout.write(`\n[mysql] throwaway ${server.flavour} server on port ${server.port}\n`);
};
