'use strict';
module.exports = async function globalTeardown() {
  const server = globalThis.__TOKENGATE_MYSQL__;
  if (server) await server.stop();
};
