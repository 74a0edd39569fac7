'use strict';
/**
 * A throwaway MySQL-compatible server for the test suite: MariaDB (mariadbd) or
 * MySQL 8 (mysqld) found on the PATH or in the usual sbin directories, started
 * on a free loopback port with a temporary data directory that is removed
 * afterwards. Plain CommonJS so test/run.mjs, the Jest global setup and
 * `node test/support/mysql-server.cjs` (a manual server for migrations) share it.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin', '/opt/homebrew/bin', '/usr/local/bin'];

function which(name) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), ...SEARCH_DIRS];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** The server binary and its flavour, or undefined when none is installed. */
function findServer() {
  if (process.env.MYSQLD) return { bin: process.env.MYSQLD, flavour: /maria/i.test(process.env.MYSQLD) ? 'mariadb' : 'mysql' };
  const maria = which('mariadbd');
  if (maria) return { bin: maria, flavour: 'mariadb' };
  const mysqld = which('mysqld');
  if (!mysqld) return undefined;
  let version = '';
  try {
    version = execFileSync(mysqld, ['--version'], { encoding: 'utf8' });
  } catch {
    /* unknown */
  }
  return { bin: mysqld, flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql' };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForPort(port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`database server exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`database server did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * Start a server. Resolves with { url, adminUrl, port, dataDir, stop() }. `url`
 * has no database; tests create their own (e2e_*). options: { port, extraArgs }
 * (more server options; a later option wins over an earlier one).
 */
async function startServer(options = {}) {
  const found = findServer();
  if (!found) throw new Error('no mariadbd or mysqld found');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tokengate-mysql-'));
  const dataDir = path.join(base, 'data');
  const socket = path.join(base, 'mysql.sock');
  const port = options.port || (await freePort());
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const userArgs = asRoot ? ['--user=root'] : [];
  const log = path.join(base, 'server.log');
  // A tmpdir of its own: mariadbd removes every '#sql*' file it finds in its tmpdir at start-up, so two
  // servers sharing /tmp (parallel test runs) delete each other's temporary tables mid-bootstrap.
  const tmpDir = path.join(base, 'tmp');
  fs.mkdirSync(tmpDir);

  if (found.flavour === 'mariadb') {
    const installer = which('mariadb-install-db') || which('mysql_install_db');
    if (!installer) throw new Error('mariadb-install-db not found next to mariadbd');
    execFileSync(installer, ['--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } else {
    fs.mkdirSync(dataDir, { recursive: true });
    execFileSync(found.bin, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, `--tmpdir=${tmpDir}`, ...userArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--tmpdir=${tmpDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    `--log-error=${log}`,
    `--pid-file=${path.join(base, 'mysqld.pid')}`,
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--innodb-buffer-pool-size=128M',
    '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=500',
    // Overrides for large data (bench/scale.mjs): e.g. a bigger buffer pool and redo log.
    ...(options.extraArgs || []),
    ...(found.flavour === 'mariadb' ? ['--skip-log-bin'] : ['--skip-log-bin', '--mysqlx=OFF']),
    ...userArgs,
  ];
  let child;
  const launch = async () => {
    child = spawn(found.bin, args, { stdio: 'ignore', detached: false });
    try {
      await waitForPort(port, child, 60_000);
    } catch (err) {
      child.kill('SIGKILL');
      let tail = '';
      try {
        tail = fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        /* no log */
      }
      throw new Error(`${err.message}\n${tail}`);
    }
  };
  await launch();

  /** Stop the server process, keeping its data (for outage tests). */
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 20_000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(100);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  const stop = async () => {
    await halt();
    fs.rmSync(base, { recursive: true, force: true });
  };
  return {
    url: `mysql://root@127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid;
    },
    dataDir,
    flavour: found.flavour,
    stop,
    halt,
    /** Start again on the same port and data directory after halt(). */
    restart: launch,
  };
}
module.exports = { findServer, startServer, freePort };

if (require.main === module) {
  // Manual use: `node test/support/mysql-server.cjs` prints a URL and runs until Ctrl-C.
  // MYSQLD_ARGS: extra server options, e.g. "--innodb-buffer-pool-size=4G" for a big seeded database.
  startServer({ extraArgs: (process.env.MYSQLD_ARGS || '').split(/\s+/).filter(Boolean) }).then(
    (s) => {
      process.stdout.write(`${s.flavour} listening: ${s.url}/<database>\n`);
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
