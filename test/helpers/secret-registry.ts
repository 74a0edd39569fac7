import { createPrivateKey } from 'node:crypto';
import { relative } from 'node:path';
import { ASTNode, FieldNode, Kind, parse, ValueNode, visit } from 'graphql';
import type { DataSource } from 'typeorm';
import type { DbKind } from '../../src/db/data-source';
import type { TestDatabase } from './test-db';
import { hintOf, SECRET_PREFIX } from '../../src/auth/token-format';
import { REFRESH_PREFIX } from '../../src/auth/session-tokens';
import { GATEWAY_SECRET_HEADER, IDENTITY_HEADER } from '../../src/subgraph-kit';

/**
 * Secrets hygiene for the whole integration suite (issue #6, item 8): no
 * password, API token secret, refresh token, session JWT or webhook secret may
 * show up in a log line, an error, an audit event or any database column.
 *
 * One registry per test file (Jest gives every file its own module registry).
 * It learns every secret the test process sees go over HTTP: a fetch observer
 * (installed for the integration projects by test/support/secret-hygiene.ts)
 * reads every request's credentials (Authorization, the gateway headers,
 * password/secret/refreshToken arguments and variables, token= bodies) and
 * every response's issued secrets (secret, accessToken, refreshToken at any
 * depth), and keeps every error a response carried. startTestApp's stop() then
 * scans the service's log lines, those errors and every column of every table
 * before the database is dropped, and fails the file naming what leaked where,
 * never printing a secret.
 *
 * Refused credentials count: a wrong password or a garbage token sent in a
 * failed attempt must never be logged either, so everything sent is registered
 * whether it worked or not. Only values under MIN_SECRET_LENGTH are left out,
 * and the public forms: a token's hint, a JWT's claims, digests.
 */

/** Shorter values ('x', 'short') are bad-input noise that would match by chance. */
export const MIN_SECRET_LENGTH = 8;
/** Request fields that carry a credential: GraphQL arguments, input-object fields and variables. */
const SENT_KEYS = new Set(['password', 'newPassword', 'currentPassword', 'secret', 'refreshToken', 'accessToken']);
/** Response fields that hand a secret out (CreatedApiToken.secret, CreatedWebhook.secret, AuthPayload). */
const ISSUED_KEYS = new Set(['secret', 'refreshToken', 'accessToken']);
/** Non-GraphQL bodies (POST /internal/introspect takes token=…; POST /oauth/token subject_token=…). */
const BODY_KEYS = new Set([...SENT_KEYS, 'token', 'subject_token', 'actor_token']);
/** Non-GraphQL answers that hand a credential out (the token exchange's RFC 6749 access_token). */
const ISSUED_BODY_KEYS = new Set(['access_token']);
const SECRET_WORDS = /password|secret|refreshToken|accessToken/i;
/** src/modules/webhook/webhook-crypto.ts: newWebhookSecret(). */
const WEBHOOK_SECRET_PREFIX = 'whsec_';
const HINT_LENGTH = hintOf(`${SECRET_PREFIX}xxxxxxxx`).length;

/** value → label (what it is and where the tests got it); the first label wins. */
const secrets = new Map<string, string>();
/** The text of every error a response carried, until a check consumes it. */
const errors: Array<{ where: string; text: string }> = [];
/** Responses still being read by the fetch observer. */
const pending = new Set<Promise<void>>();

function add(label: string, value: string): void {
  if (value.length >= MIN_SECRET_LENGTH && !secrets.has(value)) secrets.set(value, label);
}

/**
 * Remember a secret, and the forms it could leak in: the part of an API token
 * after its (public) hint, a refresh token's or webhook secret's body, a JWT's
 * signature, and the value as JSON and URLs escape it. The hint itself is
 * public by design and never registered; nor is anything under MIN_SECRET_LENGTH.
 */
export function registerSecret(label: string, value: unknown): void {
  if (typeof value !== 'string') return;
  add(label, value);
  if (value.startsWith(SECRET_PREFIX)) add(`${label} (after its hint)`, value.slice(HINT_LENGTH));
  else if (value.startsWith(REFRESH_PREFIX)) add(`${label} (body)`, value.slice(REFRESH_PREFIX.length));
  else if (value.startsWith(WEBHOOK_SECRET_PREFIX)) add(`${label} (body)`, value.slice(WEBHOOK_SECRET_PREFIX.length));
  const jwt = /^[\w-]+\.[\w-]+\.([\w-]+)$/.exec(value);
  if (jwt) add(`${label} (JWT signature)`, jwt[1]);
  const json = JSON.stringify(value).slice(1, -1);
  if (json !== value) add(`${label} (JSON-escaped)`, json);
  const url = encodeURIComponent(value);
  if (url !== value) add(`${label} (URL-encoded)`, url);
}

/** Secrets of the service's own configuration: the session signing key, the gateway secret, the identity key. */
export function registerConfigSecrets(env: Record<string, string | undefined>): void {
  registerSecret('SESSION_SIGNING_KEY', env.SESSION_SIGNING_KEY);
  registerSecret('GATEWAY_SECRET', env.GATEWAY_SECRET);
  registerSecret('COPROCESSOR_SECRET', env.COPROCESSOR_SECRET);
  registerSecret('METRICS_TOKEN', env.METRICS_TOKEN);
  const pem = env.IDENTITY_PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (pem) {
    registerSecret('IDENTITY_PRIVATE_KEY', pem);
    registerSecret('IDENTITY_PRIVATE_KEY (private scalar)', (createPrivateKey(pem).export({ format: 'jwk' }) as { d?: string }).d);
  }
}

/** An Authorization header as sent: the credential after the scheme, and a Basic header's password. */
export function registerAuthorization(where: string, header: string): void {
  const m = /^\s*(\S+)\s+([\s\S]*?)\s*$/.exec(header);
  if (!m) {
    registerSecret(`credential in the Authorization header of ${where}`, header.trim());
    return;
  }
  const [, scheme, credential] = m;
  registerSecret(`${scheme} credential sent to ${where}`, credential);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) registerSecret(`Basic password sent to ${where}`, decoded.slice(colon + 1));
  }
}

export const isRegistered = (value: string): boolean => secrets.has(value);

/** Labels of the registered secrets found in a text (for a test's own assertions). */
export function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const [value, label] of secrets) if (text.includes(value)) found.push(label);
  return found;
}

/** Register string values under credential keys at any depth. */
function walk(value: unknown, keys: Set<string>, path: string, onFound: (path: string, value: string) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, keys, `${path}[${i}]`, onFound));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (keys.has(k) && typeof v === 'string') onFound(p, v);
      else walk(v, keys, p, onFound);
    }
  }
}

/** Authorization header values inside a JSON body at any depth (a router's coprocessor payload carries the client's headers). */
function walkAuthorization(value: unknown, where: string): void {
  if (Array.isArray(value)) value.forEach((v) => walkAuthorization(v, where));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.toLowerCase() === 'authorization') {
        for (const one of Array.isArray(v) ? v : [v]) if (typeof one === 'string') registerAuthorization(`a client Authorization header forwarded in ${where}`, one);
      } else walkAuthorization(v, where);
    }
  }
}

/** The first root field of a document, to name an operation without quoting it (it may hold a password). */
function rootFieldOf(query: unknown): string {
  if (typeof query !== 'string') return 'a non-GraphQL body';
  const m = /^\s*(?:(?:query|mutation|subscription)\b[^{]*)?\{\s*(?:\w+\s*:\s*)?(\w+)/.exec(query);
  return m ? m[1] : 'an unparsable document';
}

/** A GraphQL request: credentials in its variables and in string literals of its document. */
export function observeGraphQLRequest(where: string, body: unknown): void {
  for (const op of Array.isArray(body) ? body : [body]) {
    if (!op || typeof op !== 'object') continue;
    const { query, variables } = op as { query?: unknown; variables?: unknown };
    const vars = variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : {};
    const operation = `${rootFieldOf(query)} at ${where}`;
    walk(vars, SENT_KEYS, 'variables', (p, v) => registerSecret(`${p} sent to ${operation}`, v));
    if (typeof query !== 'string' || !SECRET_WORDS.test(query)) continue;
    let document;
    try {
      document = parse(query);
    } catch {
      continue; // garbage documents are refused before any resolver sees them
    }
    const sent = (name: string, node: ValueNode, ancestors: ReadonlyArray<ASTNode | ReadonlyArray<ASTNode>>) => {
      const field = [...ancestors].reverse().find((a): a is FieldNode => !Array.isArray(a) && (a as ASTNode).kind === Kind.FIELD);
      const label = `${name} sent inline to ${field?.name.value ?? rootFieldOf(query)} at ${where}`;
      if (node.kind === Kind.STRING) registerSecret(label, node.value);
      else if (node.kind === Kind.VARIABLE) {
        const v = vars[node.name.value];
        if (typeof v === 'string') registerSecret(`${name} sent as $${node.name.value} to ${field?.name.value ?? operation} at ${where}`, v);
      }
    };
    visit(document, {
      Argument: (node, _k, _p, _path, ancestors) => void (SENT_KEYS.has(node.name.value) && sent(node.name.value, node.value, ancestors)),
      ObjectField: (node, _k, _p, _path, ancestors) => void (SENT_KEYS.has(node.name.value) && sent(node.name.value, node.value, ancestors)),
    });
  }
}

/** A response: secrets it issues, and the text of any error it carries. */
export function observeResponse(where: string, status: number, text: string, operation?: string): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (status >= 400 && text) errors.push({ where: `the ${status} answer of ${where}`, text });
    return;
  }
  for (const one of Array.isArray(body) ? body : [body]) {
    if (!one || typeof one !== 'object') continue;
    const { data, errors: errs } = one as { data?: unknown; errors?: unknown };
    walk(data, ISSUED_KEYS, 'data', (p, v) => registerSecret(`${p.replace(/^data\./, '')} issued by ${where}`, v));
    if (data === undefined) walk(one, ISSUED_BODY_KEYS, '', (p, v) => registerSecret(`${p} issued by ${where}`, v));
    // A coprocessor's break answer carries the error the router will show the client, as a string body.
    const { control, body } = one as { control?: unknown; body?: unknown };
    if (control && typeof control === 'object' && typeof body === 'string') errors.push({ where: `the break answer of ${where}`, text: body });
    if (errs !== undefined) errors.push({ where: `an error in the answer to ${operation ?? where}`, text: JSON.stringify(errs) });
    else if (status >= 400) errors.push({ where: `the ${status} answer of ${where}`, text });
  }
}

/** Header values as a plain record, whatever form fetch was given. */
function headersOf(input: RequestInfo | URL, init?: RequestInit): Headers {
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  if (init?.headers) new Headers(init.headers).forEach((v, k) => headers.set(k, v));
  return headers;
}

function bodyText(body: RequestInit['body']): string | URLSearchParams | null {
  if (typeof body === 'string' || body instanceof URLSearchParams) return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
  return null;
}

/** Everything one HTTP request sends that could be a credential; returns how to name the exchange. */
export function observeRequest(url: string, method: string, headers: Headers, body: RequestInit['body']): { where: string; operation?: string } {
  const where = `${method} ${url}`;
  const authorization = headers.get('authorization');
  if (authorization) registerAuthorization(where, authorization);
  for (const name of [IDENTITY_HEADER, GATEWAY_SECRET_HEADER]) registerSecret(`${name} header sent to ${where}`, headers.get(name));
  let text = bodyText(body);
  if (typeof text === 'string') {
    try {
      const parsed: unknown = JSON.parse(text);
      const isGraphQL = (x: unknown) => !!x && typeof x === 'object' && 'query' in x;
      if (isGraphQL(parsed) || (Array.isArray(parsed) && parsed.some(isGraphQL))) {
        observeGraphQLRequest(where, parsed);
        const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { query?: unknown };
        return { where, operation: `${rootFieldOf(first?.query)} at ${where}` };
      }
      walk(parsed, BODY_KEYS, 'body', (p, v) => registerSecret(`${p} sent to ${where}`, v));
      walkAuthorization(parsed, where);
      return { where };
    } catch {
      if (!(headers.get('content-type') ?? '').includes('x-www-form-urlencoded')) return { where };
      text = new URLSearchParams(text);
    }
  }
  if (text instanceof URLSearchParams) for (const [k, v] of text) if (BODY_KEYS.has(k)) registerSecret(`${k}= sent to ${where}`, v);
  return { where };
}

const OBSERVED = Symbol.for('tokengate.secretRegistry.fetchObserver');

/**
 * Wrap this test file's global fetch (used by the tests, the helpers, the
 * gateway's introspection client and the service's webhook sender alike) so
 * every exchange goes through observeRequest/observeResponse. The response
 * the caller gets is untouched; a clone is read in the background.
 */
export function installFetchObserver(): void {
  const original = globalThis.fetch;
  if ((original as unknown as Record<symbol, boolean>)[OBSERVED]) return;
  const observed = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const { where, operation } = observeRequest(url, method, headersOf(input, init), init?.body);
    const res = await original(input, init);
    const reading = res
      .clone()
      .text()
      .then((text) => observeResponse(where, res.status, text, operation))
      .catch(() => undefined) // an aborted body is the test's business
      .finally(() => pending.delete(reading));
    pending.add(reading);
    return res;
  };
  Object.defineProperty(observed, OBSERVED, { value: true });
  globalThis.fetch = observed as typeof fetch;
}

export const fetchIsObserved = (): boolean => !!(globalThis.fetch as unknown as Record<symbol, boolean>)[OBSERVED];

export interface LogSource {
  /** e.g. "the tokens service log" */
  where: string;
  lines: readonly string[];
}

export interface Leak {
  /** What the secret is and where the tests got it. */
  label: string;
  /** First characters and length: enough to recognise it, not to use it. */
  preview: string;
  /** A log line, an error, or table.column. */
  where: string;
}

export const preview = (value: string): string => `${JSON.stringify(value.slice(0, 6)).slice(1, -1)}… (${value.length} chars)`;

/** Every row of every table, by table name. */
export async function dumpTables(dataSource: DataSource, kind: DbKind): Promise<Map<string, Array<Record<string, unknown>>>> {
  const names =
    kind === 'mysql'
      ? ((await dataSource.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')) as Array<Record<string, string>>).map(
          (r) => r.name ?? r.NAME ?? r.TABLE_NAME,
        )
      : ((await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'")) as Array<{ name: string }>).map((r) => r.name);
  // Proof that the scan looks at the service's tables, not at an empty schema.
  for (const table of ['account', 'user', 'api_token', 'audit_event']) {
    if (!names.includes(table)) throw new Error(`the database dump found no ${table} table (tables: ${names.join(', ') || 'none'})`);
  }
  const quote = (n: string) => (kind === 'mysql' ? `\`${n}\`` : `"${n}"`);
  const tables = new Map<string, Array<Record<string, unknown>>>();
  for (const name of names) tables.set(name, await dataSource.query(`SELECT * FROM ${quote(name)}`));
  return tables;
}

const cellText = (v: unknown): string =>
  v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Every row of every table as text (binary columns decoded as UTF-8). */
export async function dumpDatabase(dataSource: DataSource, kind: DbKind): Promise<string> {
  const parts: string[] = [];
  for (const [name, rows] of await dumpTables(dataSource, kind)) {
    parts.push(
      `${name}: ${rows
        .map((r) =>
          Object.entries(r)
            .map(([k, v]) => `${k}=${cellText(v)}`)
            .join(' '),
        )
        .join('\n')}`,
    );
  }
  return parts.join('\n');
}

/** Every column's values as one text, keyed "table.column". */
async function columnTexts(dataSource: DataSource, kind: DbKind): Promise<Map<string, string>> {
  const columns = new Map<string, string[]>();
  for (const [table, rows] of await dumpTables(dataSource, kind)) {
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        const key = `${table}.${column}`;
        if (!columns.has(key)) columns.set(key, []);
        columns.get(key)!.push(cellText(value));
      }
    }
  }
  return new Map([...columns].map(([k, v]) => [k, v.join('\n')]));
}

/** What a log line is about, without its content: its message and component. */
function describeLine(line: string): string {
  try {
    const o = JSON.parse(line) as { msg?: unknown; component?: unknown };
    return [typeof o.msg === 'string' ? `"${o.msg.slice(0, 80)}"` : null, typeof o.component === 'string' ? `component ${o.component}` : null].filter(Boolean).join(', ');
  } catch {
    return 'not JSON';
  }
}

/**
 * Scan log lines, the recorded errors and every database column for every
 * registered secret. A secret found inside a longer registered one at the
 * same place (a token and the part after its hint) is reported once.
 */
export async function findLeaks(opts: { logs?: LogSource[]; database?: { dataSource: DataSource; kind: DbKind }; consumeErrors?: boolean }): Promise<Leak[]> {
  await Promise.all([...pending]);
  const candidates = [...secrets].sort((a, b) => b[0].length - a[0].length);
  /** The candidates present in a text: one pass over a whole surface before looking closer. */
  const present = (text: string) => candidates.filter(([value]) => text.includes(value));
  const leaks: Leak[] = [];
  const report = (text: string, among: Array<[string, string]>, where: () => string) => {
    const found: string[] = [];
    for (const [value, label] of among) {
      if (!text.includes(value) || found.some((f) => f.includes(value))) continue;
      found.push(value);
      leaks.push({ label, preview: preview(value), where: where() });
    }
  };
  for (const source of opts.logs ?? []) {
    const hits = present(source.lines.join('\n'));
    if (hits.length) source.lines.forEach((line, i) => report(line, hits, () => `${source.where}, line ${i + 1} (${describeLine(line)})`));
  }
  const recorded = opts.consumeErrors ? errors.splice(0) : [...errors];
  const errorHits = present(recorded.map((e) => e.text).join('\n'));
  if (errorHits.length) for (const e of recorded) report(e.text, errorHits, () => e.where);
  if (opts.database) {
    const columns = await columnTexts(opts.database.dataSource, opts.database.kind);
    const dbHits = present([...columns.values()].join('\n'));
    if (dbHits.length) for (const [column, text] of columns) report(text, dbHits, () => `column ${column}`);
  }
  return leaks;
}

/** Thrown by a teardown that found a secret where none may be. */
export class SecretLeakError extends Error {
  constructor(
    readonly leaks: Leak[],
    testFile: string,
  ) {
    const lines = new Map<string, number>();
    for (const l of leaks) {
      const line = `  - ${l.label} [${l.preview}] in ${l.where}`;
      lines.set(line, (lines.get(line) ?? 0) + 1);
    }
    const shown = [...lines].slice(0, 30).map(([line, n]) => (n > 1 ? `${line} (${n} times)` : line));
    if (lines.size > shown.length) shown.push(`  … and ${lines.size - shown.length} more places`);
    super(
      `Secrets hygiene: ${leaks.length} leak(s) in ${testFile}\n${shown.join('\n')}\n` +
        'A password, token secret, refresh token, session JWT or webhook secret the tests sent or received reached a log line, ' +
        'an error or a database column (test/helpers/secret-registry.ts). Store digests; log ids and hints.',
    );
    this.name = 'SecretLeakError';
  }
}

/**
 * The teardown check: scan the logs, the errors received so far and every
 * column of the database, drop the database whatever happened, then fail with
 * SecretLeakError if anything leaked.
 */
export async function checkThenDrop(logs: LogSource[], db: TestDatabase): Promise<void> {
  let leaks: Leak[];
  try {
    // A test may have closed the pool to simulate an outage; the rows are still there to read.
    if (!db.dataSource.isInitialized) await db.dataSource.initialize();
    leaks = await findLeaks({ logs, database: { dataSource: db.dataSource, kind: db.kind }, consumeErrors: true });
  } finally {
    await db.drop();
  }
  if (leaks.length) throw new SecretLeakError(leaks, currentTestFile());
}

/** The running test file, relative to the repository, for failure messages. */
export function currentTestFile(): string {
  const path = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
  return path ? relative(process.cwd(), path) : 'an unknown test file';
}
