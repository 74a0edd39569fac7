'use strict';
/**
 * A throwaway Redis for the test suite and the benchmarks: Debian's redis-server (REDIS_SERVER to use
 * another binary) on a free loopback port, with its own temporary directory, no persistence, removed
 * afterwards. halt() and restart() stop and start it on the same port (outage tests). Plain CommonJS so
 * test/run.mjs, the tests and bench/ share it.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./mysql-server.cjs');

/** The redis-server binary, or undefined when none is installed. */
function findRedisServer() {
  const candidates = [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];
  for (const dir of (process.env.PATH || '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'redis-server'));
  for (const file of candidates) {
    if (!file) continue;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PING until PONG (a listening socket is not yet a loaded server). */
async function waitForPong(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let data = '';
      s.once('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        data += d;
        if (data.includes('PONG')) {
          s.destroy();
          resolve(true);
        }
      });
      s.once('error', () => resolve(false));
      setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 500);
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

/** Start a server. Resolves with { url, port, halt(), restart(), stop() }. */
async function startRedis(options = {}) {
  const bin = findRedisServer();
  if (!bin) throw new Error('no redis-server found (Debian: apt-get install redis-server)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokengate-redis-'));
  const port = options.port || (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log')];
  let child;
  const launch = async () => {
    child = spawn(bin, args, { stdio: 'ignore' });
    try {
      await waitForPong(port, child, 20_000);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  };
  await launch();
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      while (child.exitCode === null && child.signalCode === null) await sleep(20);
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    halt,
    /** Start again on the same port after halt() (empty: it keeps nothing). */
    restart: launch,
    /** Freeze the server (SIGSTOP): connections stay open, nothing is answered (a slow Redis). */
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      await halt();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { findRedisServer, startRedis };

if (require.main === module) {
  startRedis().then(
    (s) => {
      process.stdout.write(`redis listening: ${s.url}\n`);
      const end = () => s.stop().then(() => process.exit(0));
      process.on('SIGINT', end);
      process.on('SIGTERM', end);
    },
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
