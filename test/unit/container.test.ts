import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { generateIdentityKeyPem } from '../../src/auth/identity-keys';
import { loadGatewayConfig } from '../../src/gateway/config';

/**
 * No Docker engine runs in the test suite, so the image and compose files are
 * checked for the mistakes that only show up at `docker compose up --build`:
 * sources tsc needs left out of the build context, or files the containers
 * read at run time left out of the image.
 */
const root = join(__dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const dockerfile = read('Dockerfile');
const allowed = read('.dockerignore')
  .split('\n')
  .filter((l) => l.startsWith('!'))
  .map((l) => l.slice(1).replace(/\/$/, ''));
const stages = dockerfile.split(/^FROM /m);
const stage = (name: string) => stages.find((s) => new RegExp(`^\\S+ AS ${name}\\b`).test(s)) ?? '';

describe('container image and compose stack', () => {
  test('everything tsconfig.build.json compiles is in the build context and copied before npm run build', () => {
    const include: string[] = JSON.parse(read('tsconfig.build.json')).include;
    const build = stage('build');
    for (const path of include) {
      expect(allowed).toContain(path);
      expect(build).toMatch(new RegExp(`^COPY .*\\b${path.replace('.', '\\.')}\\b`, 'm'));
    }
  });

  test('the files the containers read at run time are copied into the runtime image', () => {
    const runtime = stage('runtime');
    const supergraph = /SUPERGRAPH_PATH: (\S+)/.exec(read('docker-compose.yml'))?.[1];
    expect(supergraph).toBe('examples/supergraph.docker.graphql');
    for (const file of [supergraph!, 'examples/inventory/schema.graphql']) {
      expect(existsSync(join(root, file))).toBe(true);
      expect(runtime).toContain(`COPY ${file} `);
    }
  });

  test('the image and the compose stack run a Node line that .ci/run tests (22 until 24 passes: docs/operations.md, Node.js support)', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(dockerfile)?.[1];
    const secrets = /image: node:(\d+)-bookworm-slim/.exec(read('docker-compose.yml'))?.[1];
    expect(image).toBe('22');
    expect(secrets).toBe(image);
    const lines = /^for major in ([\d ]+); do$/m.exec(read('.ci/run'))?.[1].split(' ');
    expect(lines).toContain(image);
  });

  test('the compose services run entry points the build produces', () => {
    const compose = read('docker-compose.yml');
    const commands = [...compose.matchAll(/command: \["node", "(dist\/[^"]+)"\]/g)].map((m) => m[1]).sort();
    expect(commands).toEqual(['dist/examples/inventory/main.js', 'dist/src/gateway/main.js']);
    for (const js of commands) expect(existsSync(join(root, js.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  test('the stack keeps introspection closed although Sandbox is on: INTROSPECTION is set, not left to follow SANDBOX', () => {
    const tokens = composeEnvironment('tokengate');
    const gateway = composeEnvironment('gateway');
    expect(tokens).toMatchObject({ NODE_ENV: 'production', SANDBOX: 'true', INTROSPECTION: 'false' });
    expect(gateway).toMatchObject({ NODE_ENV: 'production', INTROSPECTION: 'false' });
    // What the services make of it (the secret files are the secrets service's, absent here).
    const noFiles = {
      GATEWAY_SECRET_FILE: '',
      IDENTITY_PRIVATE_KEY_FILE: '',
      SESSION_SIGNING_KEY_FILE: '',
      SESSION_SIGNING_KEY: 'k'.repeat(40),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'tg-compose-')),
    };
    const config = loadConfig({ ...tokens, ...noFiles });
    expect([config.sandbox, config.introspection]).toEqual([true, false]);
    const gw = loadGatewayConfig({ ...gateway, ...noFiles, GATEWAY_SECRET: 's'.repeat(40), IDENTITY_PRIVATE_KEY: generateIdentityKeyPem() });
    expect(gw.introspection).toBe(false);
    // Both still listen on every interface in their containers (no HOST / GATEWAY_HOST).
    expect([config.host, gw.host]).toEqual([undefined, undefined]);
  });
});

/** A compose service's `environment:` (YAML anchors merged, as Compose does), `${VAR:-default}` read as its default (no .env, no shell). */
function composeEnvironment(service: string): Record<string, string> {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown> }> };
  const entries = compose.services[service]?.environment;
  if (!entries) throw new Error(`no service ${service} with an environment in docker-compose.yml`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) env[key] = String(value ?? '').replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
  return env;
}
