// Summarises a V8 .cpuprofile (node --cpu-prof) into where the CPU time went:
// self time by package (node_modules/<pkg>, Tokengate's own dist/src files,
// node internals, GC) and inclusive time ("on the stack") by package, plus the
// hottest functions. Used by bench/run.mjs; also runnable on its own:
//   node bench/profile-summary.mjs bench/out/<file>.cpuprofile [requests]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Which bucket a frame's script belongs to. */
export function packageOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, not JS)';
    return '(native)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node (core)';
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `tokengate ${url.slice(src + '/dist/src/'.length).replace(/\.js$/, '')}`;
  if (url.includes('/bench/')) return 'bench';
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0; // the delta that follows a sample is the time it stood for
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(dt, 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const idle = [...idleIds].reduce((a, id) => a + (selfUs.get(id) ?? 0), 0);
  const busy = total - idle;

  const pkgSelf = new Map();
  const fnSelf = new Map();
  const pkgIncl = new Map();
  const stackPkgs = new Map(); // node id -> Set of packages on its stack (memoised)
  const pkgsOnStack = (id) => {
    let set = stackPkgs.get(id);
    if (set) return set;
    const n = byId.get(id);
    const up = parent.has(id) ? pkgsOnStack(parent.get(id)) : new Set();
    set = new Set(up);
    set.add(packageOf(n.callFrame.url, n.callFrame.functionName));
    stackPkgs.set(id, set);
    return set;
  };
  for (const [id, us] of selfUs) {
    if (idleIds.has(id)) continue;
    const n = byId.get(id);
    const { functionName, url, lineNumber } = n.callFrame;
    const pkg = packageOf(url, functionName);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us);
    const where = url
      ? `${url
          .replace(/^.*\/node_modules\//, '')
          .replace(/^.*\/dist\/src\//, 'dist/src/')
          .replace(/^file:\/\//, '')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
    for (const p of pkgsOnStack(id)) pkgIncl.set(p, (pkgIncl.get(p) ?? 0) + us);
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalUs: total, idleUs: idle, busyUs: busy, pkgSelf: sorted(pkgSelf), pkgInclusive: sorted(pkgIncl), fnSelf: sorted(fnSelf) };
}

/** Markdown tables; per-request microseconds when the request count is known. */
export function formatSummary(summary, { requests, title = 'profile', topPackages = 14, topFunctions = 15 } = {}) {
  const pct = (us) => ((100 * us) / summary.busyUs).toFixed(1);
  const perReq = (us) => (requests ? (us / requests).toFixed(1) : '–');
  const lines = [];
  lines.push(
    `**${title}**: ${(summary.busyUs / 1e6).toFixed(2)} s on-CPU of ${(summary.totalUs / 1e6).toFixed(2)} s profiled` +
      (requests ? `, ${requests} requests → ${perReq(summary.busyUs)} µs CPU per request` : ''),
  );
  lines.push('');
  lines.push('| package / bucket | self % | self µs/req | on-stack % | on-stack µs/req |');
  lines.push('|---|---:|---:|---:|---:|');
  const incl = new Map(summary.pkgInclusive);
  for (const [pkg, us] of summary.pkgSelf.slice(0, topPackages)) {
    lines.push(`| ${pkg} | ${pct(us)} | ${perReq(us)} | ${pct(incl.get(pkg) ?? us)} | ${perReq(incl.get(pkg) ?? us)} |`);
  }
  lines.push('');
  lines.push('| hottest functions (self) | self % | µs/req |');
  lines.push('|---|---:|---:|');
  for (const [fn, us] of summary.fnSelf.slice(0, topFunctions)) lines.push(`| \`${fn.replace(/\|/g, '\\|')}\` | ${pct(us)} | ${perReq(us)} |`);
  return lines.join('\n');
}

/** Where the extra CPU per request goes: self µs/request by package, b minus a, largest first. */
export function formatDifference(a, b, { from = 'a', to = 'b', top = 16 } = {}) {
  const perReq = (p) => new Map(p.summary.pkgSelf.map(([k, us]) => [k, us / p.requests]));
  const A = perReq(a);
  const B = perReq(b);
  const keys = new Set([...A.keys(), ...B.keys()]);
  const rows = [...keys].map((k) => [k, A.get(k) ?? 0, B.get(k) ?? 0]).sort((x, y) => y[2] - y[1] - (x[2] - x[1]));
  const totalA = a.summary.busyUs / a.requests;
  const totalB = b.summary.busyUs / b.requests;
  const lines = [
    `**CPU per request, ${to} minus ${from}**: ${totalB.toFixed(0)} − ${totalA.toFixed(0)} = ${(totalB - totalA).toFixed(0)} µs. Largest differences in self time:`,
    '',
    `| package / bucket | ${from} µs/req | ${to} µs/req | difference |`,
    '|---|---:|---:|---:|',
  ];
  for (const [k, x, y] of rows.slice(0, top)) lines.push(`| ${k} | ${x.toFixed(1)} | ${y.toFixed(1)} | ${(y - x >= 0 ? '+' : '') + (y - x).toFixed(1)} |`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.mjs <file.cpuprofile> [requests]\n');
    process.exit(2);
  }
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')));
  process.stdout.write(formatSummary(summary, { requests: Number(process.argv[3]) || undefined, title: file }) + '\n');
}
