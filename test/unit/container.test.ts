import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

  test('the image and the compose stack run the active LTS line, which .ci/run also tests', () => {
    const image = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(dockerfile)?.[1];
    const secrets = /image: node:(\d+)-bookworm-slim/.exec(read('docker-compose.yml'))?.[1];
    expect(image).toBe('24');
    expect(secrets).toBe(image);
    const lines = /^for major in ([\d ]+); do$/m.exec(read('.ci/run'))?.[1].split(' ');
    expect(lines).toEqual(['22', '24']);
  });

  test('the compose services run entry points the build produces', () => {
    const compose = read('docker-compose.yml');
    const commands = [...compose.matchAll(/command: \["node", "(dist\/[^"]+)"\]/g)].map((m) => m[1]);
    expect(commands).toEqual(['dist/examples/inventory/main.js', 'dist/src/gateway/main.js']);
    for (const js of commands) expect(existsSync(join(root, js.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });
});
