import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'bench', 'out'); // git-ignored: logs and profiles
const { freePort } = createRequire(import.meta.url)(path.join(ROOT, 'test/support/mysql-server.cjs'));

/**
 * What every benchmark script shares: a timestamped logger and a registry of
 * cleanups (child servers, temporary databases) run once, on success, failure
 * or Ctrl-C, and startChild() for the servers under test.
 */
export function harness(name) {
  const started = Date.now();
  const log = (msg) => process.stdout.write(`[${name} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const cleanups = [];
  let cleaning;
  function cleanup() {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          process.stderr.write(`[${name}] cleanup: ${err.message}\n`);
        }
      }
    })();
    return cleaning;
  }
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      process.stderr.write(`[${name}] ${sig}: stopping the servers\n`);
      cleanup().finally(() => process.exit(130));
    });
  }
  /**
   * Start a Node child on a free port (given to it as `portVar`, PORT by default); resolves once
   * GET <base><readyPath> (with `readyHeaders`) answers 200. Stopped by cleanup().
   */
  async function startChild(childName, args, env, readyPath, { readyHeaders = {}, portVar = 'PORT' } = {}) {
    mkdirSync(OUT, { recursive: true });
    const logFile = path.join(OUT, `${childName}.log`);
    writeFileSync(logFile, '');
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: os.tmpdir(), ...env, [portVar]: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk) => appendFileSync(logFile, chunk);
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited, sleep(15_000).then(() => null)]);
      if (!done) child.kill('SIGKILL');
    };
    cleanups.push(stop);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${childName} exited with code ${child.exitCode}; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      try {
        const res = await fetch(base + readyPath, { headers: readyHeaders });
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`${childName} was not ready within 30 s; see ${logFile}`);
      await sleep(100);
    }
    return { name: childName, url: `${base}/graphql`, base, pid: child.pid, logFile, stop, exited };
  }

  return { started, log, sleep, cleanups, cleanup, startChild };
}

/** A command's trimmed output, or '' when it fails (getconf, git, nproc…). */
export function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const TICK_US = 1e6 / (Number(sh('getconf', ['CLK_TCK'])) || 100);

/** CPU time (user + system) a process has used, in µs, from /proc; NaN where /proc is not there. */
export function procCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return NaN;
  }
}

/** CPU time the whole machine has been busy, in µs (user, nice, system, irq, softirq). */
export function machineBusyUs() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2] + f[5] + f[6]) * TICK_US;
  } catch {
    return NaN;
  }
}
