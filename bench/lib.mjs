/**
 * What every benchmark script shares: a timestamped logger and a registry of
 * cleanups (child servers, temporary databases) run once, on success, failure
 * or Ctrl-C.
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
  return { started, log, sleep, cleanups, cleanup };
}
