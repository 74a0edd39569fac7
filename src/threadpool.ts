/**
 * Sizes libuv's threadpool before anything uses it (it is created on first use,
 * with UV_THREADPOOL_SIZE read once): main.ts imports this module first.
 * bcrypt normally runs on low-priority worker threads (src/auth/passwords.ts),
 * but falls back to that pool (and the timing equaliser's one dummy hash uses
 * it); with the default 4 threads, 4 sign-ins would then leave nothing for fs,
 * dns.lookup, zlib or crypto callbacks. The pool gets BCRYPT_CONCURRENCY
 * threads for bcrypt plus 4 for everything else. An explicit
 * UV_THREADPOOL_SIZE is always respected.
 */
import { availableParallelism } from 'node:os';

if (!process.env.UV_THREADPOOL_SIZE) {
  const raw = process.env.BCRYPT_CONCURRENCY?.trim() ?? '';
  const configured = /^\d+$/.test(raw) ? Number(raw) : 0; // invalid values are reported by loadConfig()
  const bcrypt = configured > 0 ? configured : Math.max(1, availableParallelism() - 1);
  process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, bcrypt + 4));
}
