import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { generateIdentityKeyPem } from '../../src/auth/identity-keys';
import { loadConfig } from '../../src/config';
import { loadGatewayConfig } from '../../src/gateway/config';

/**
 * The documentation is the README and docs/**.md. These tests keep it honest where a machine can tell:
 * every relative link and image resolves (to a file, and to a heading when it names one), every page is
 * reachable from the README, and every environment variable the code reads is documented where a reader
 * of that process looks for it (docs/configuration.md), with no documented variable that nothing reads.
 */

const root = resolve(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

const pages = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];

/** The text outside fenced code blocks and inline code, where Markdown links live. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, each space a hyphen, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every [text](target) and ![alt](target) of a page that is not an absolute URL, with its line. */
function relativeLinks(markdown: string): { target: string; line: number }[] {
  const text = prose(markdown);
  const links: { target: string; line: number }[] = [];
  for (const match of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    links.push({ target, line: text.slice(0, match.index).split('\n').length });
  }
  return links;
}

function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const { target } of relativeLinks(readFileSync(page, 'utf8'))) {
    const [path, fragment] = target.split('#', 2);
    const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
    const where = `${relative(root, page)} → ${target}`;
    let stats;
    try {
      stats = statSync(file);
    } catch {
      broken.push(`${where}: no such file`);
      continue;
    }
    if (fragment !== undefined && fragment !== '') {
      if (!stats.isFile() || !file.endsWith('.md')) broken.push(`${where}: an anchor into something that is not a Markdown file`);
      else if (!anchorsOf(readFileSync(file, 'utf8')).has(decodeURIComponent(fragment))) broken.push(`${where}: no heading with that anchor`);
    }
  }
  return broken;
}

describe('links', () => {
  test('every relative link and image in README.md and docs/**/*.md resolves, anchors included', () => {
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap(brokenLinks)).toEqual([]);
  });

  test('the check is not vacuous: a missing file, a missing anchor and a missing image are reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-docs-'));
    try {
      const page = join(dir, 'page.md');
      writeFileSync(
        page,
        '# A `title` (here)\n\n## Twice\n\n## Twice\n\n[ok](#a-title-here) [ok](#twice-1) [ok](page.md#twice)\n' +
          '[gone](missing.md) [bad](#nowhere) ![pic](img/none.png) `[code](ignored.md)`\n\n```\n[fenced](ignored.md)\n```\n',
      );
      expect(brokenLinks(page).map((b) => b.replace(/^.*? → /, ''))).toEqual(['missing.md: no such file', '#nowhere: no heading with that anchor', 'img/none.png: no such file']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every docs page can be reached from the README', () => {
    const reached = new Set<string>();
    const queue = [join(root, 'README.md')];
    while (queue.length > 0) {
      const page = queue.pop()!;
      if (reached.has(page)) continue;
      reached.add(page);
      for (const { target } of relativeLinks(readFileSync(page, 'utf8'))) {
        const path = target.split('#')[0];
        if (path.endsWith('.md')) queue.push(resolve(dirname(page), path));
      }
    }
    expect(pages.filter((p) => !reached.has(p)).map((p) => relative(root, p))).toEqual([]);
  });
});

describe('environment variables', () => {
  const configuration = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  /** The page's `## ` sections by heading. */
  const sections = new Map(configuration.split(/^(?=## )/m).map((s) => [s.split('\n')[0], s] as const));
  const gatewaySection = [...sections].find(([heading]) => /^## Gateway\b/.test(heading))?.[1] ?? '';
  const elsewhere = [...sections]
    .filter(([heading]) => !/^## Gateway\b/.test(heading))
    .map(([, s]) => s)
    .join('\n');

  /**
   * The variables a part of the page documents: those that name a table row (its first column), and the
   * `NAME_FILE` alternative of such a variable where the text mentions it.
   */
  function documentedIn(text: string): Set<string> {
    const names = new Set<string>();
    for (const [, cell] of text.matchAll(/^\| *([^|\n]+?) *\|/gm)) for (const [, name] of cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(name);
    for (const [, base] of text.matchAll(/`([A-Z][A-Z0-9_]+)_FILE`/g)) if (names.has(base)) names.add(`${base}_FILE`);
    return names;
  }

  /** The variables a loader reads, over the environments that take it down each branch. */
  function read(load: (env: Record<string, string | undefined>) => unknown, envs: Record<string, string>[]): Set<string> {
    const names = new Set<string>();
    for (const env of envs) {
      const proxy = new Proxy(env, {
        get(target, key) {
          if (typeof key === 'string' && /^[A-Z][A-Z0-9_]+$/.test(key)) names.add(key);
          return target[key as string];
        },
      });
      load(proxy);
    }
    return names;
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'tg-docs-env-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const secret = 'x'.repeat(40);
  const tokensEnvs: Record<string, string>[] = [
    { DATA_DIR: dataDir },
    { DATA_DIR: dataDir, NODE_ENV: 'production', SESSION_SIGNING_KEY: secret, COPROCESSOR_SECRET: secret },
    { DATA_DIR: dataDir, NODE_ENV: 'production', SESSION_SIGNING_KEY: secret, PUBLIC_URL: 'https://tokens.example.com', IDENTITY_PRIVATE_KEY: generateIdentityKeyPem() },
  ];
  const gatewayEnvs: Record<string, string>[] = [{ DATA_DIR: dataDir, SUPERGRAPH_PATH: 'supergraph.graphql', GATEWAY_SECRET: secret }];

  /** `process.env.NAME` anywhere in src/ and examples/ (the scripts, the thread pool, tracing headers …). */
  function readByProcessEnv(): Set<string> {
    const names = new Set<string>();
    for (const dir of ['src', 'examples']) {
      for (const file of markdownOrTs(join(root, dir))) {
        for (const [, name] of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(name);
      }
    }
    return names;
  }
  function markdownOrTs(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return markdownOrTs(path);
      return name.endsWith('.ts') ? [path] : [];
    });
  }

  test('every variable the tokens service reads (src/config.ts) has a row in docs/configuration.md outside the gateway section', () => {
    const names = read(loadConfig, tokensEnvs);
    expect(names.size).toBeGreaterThan(50);
    const documented = documentedIn(elsewhere);
    expect([...names].filter((name) => !documented.has(name))).toEqual([]);
  });

  test('every variable the gateway reads (src/gateway/config.ts) has a row in the gateway section of docs/configuration.md', () => {
    const names = read(loadGatewayConfig, gatewayEnvs);
    expect(names.size).toBeGreaterThan(25);
    const documented = documentedIn(gatewaySection);
    expect([...names].filter((name) => !documented.has(name))).toEqual([]);
  });

  test('every process.env variable in src/ and examples/ is documented somewhere in docs/', () => {
    const docs = pages.map((p) => readFileSync(p, 'utf8')).join('\n');
    const names = readByProcessEnv();
    expect(names.size).toBeGreaterThan(3);
    expect([...names].filter((name) => name !== 'NODE_ENV' && !docs.includes(`\`${name}\``))).toEqual([]);
  });

  test('every variable named in the first column of a docs/configuration.md table is read by the code', () => {
    const known = new Set([...read(loadConfig, tokensEnvs), ...read(loadGatewayConfig, gatewayEnvs), ...readByProcessEnv()]);
    const documented = documentedIn(configuration);
    expect(documented.size).toBeGreaterThan(60);
    expect([...documented].filter((name) => !known.has(name))).toEqual([]);
  });
});
