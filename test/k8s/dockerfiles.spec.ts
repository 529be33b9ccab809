// A lint of the service Dockerfiles (no Docker engine runs here): hadolint's rules that apply to them, plus
// what this repository needs: the pinned Node 24, every workspace manifest for npm, the libraries each
// service imports, its migrations, an unprivileged user, and ports that match the service's defaults.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertingEnv } from '../../services/alerting/src/config.js';
import { gatewayEnv } from '../../services/gateway/src/config.js';
import { ingestEnv } from '../../services/ingest/src/config.js';
import { operatorEnv } from '../../services/operator/src/config.js';
import { scorerEnv } from '../../services/scorer/src/config.js';
import { validatorEnv } from '../../services/validator/src/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
  stage: number;
}

/** Instructions with continuation lines joined and comments dropped; `stage` counts FROMs from 0. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  let stage = -1;
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
  });
}

/** .dockerignore patterns as regular expressions over context-relative paths (and their parents). */
function ignoredBy(patterns: string[], path: string): string | undefined {
  const parts = path.split('/');
  for (const pattern of patterns) {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '(?:.*/)?')}$`,
    );
    for (let i = 1; i <= parts.length; i++) {
      if (regex.test(parts.slice(0, i).join('/'))) return pattern;
    }
  }
  return undefined;
}

const workspaceManifests = ['libs', 'services'].flatMap((folder) =>
  readdirSync(join(ROOT, folder))
    .filter((name) => existsSync(join(ROOT, folder, name, 'package.json')))
    .map((name) => `${folder}/${name}/package.json`),
);

function manifest(path: string): { dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { dependencies?: Record<string, string> };
}

/**
 * The workspace libraries a service loads at run time, following the libraries' own dependencies (and, for
 * the operator, those of the services whose compilers it runs).
 */
function workspaceLibraries(service: string): string[] {
  const found = new Set<string>();
  const visit = (path: string) => {
    for (const dependency of Object.keys(manifest(path).dependencies ?? {})) {
      const name = /^@vigil\/(.+)$/.exec(dependency)?.[1];
      if (name && existsSync(join(ROOT, 'services', name, 'package.json')))
        visit(`services/${name}/package.json`);
      else if (name && !found.has(name)) {
        found.add(name);
        visit(`libs/${name}/package.json`);
      }
    }
  };
  visit(`services/${service}/package.json`);
  return [...found].sort();
}

const defaults = {
  ingest: ingestEnv({}),
  validator: validatorEnv({}),
  scorer: scorerEnv({}),
  alerting: alertingEnv({}),
  gateway: gatewayEnv({}),
  operator: operatorEnv({}),
};
const expectedPorts: Record<keyof typeof defaults, number[]> = {
  ingest: [defaults.ingest.INGEST_PORT, defaults.ingest.METRICS_PORT],
  validator: [defaults.validator.METRICS_PORT],
  scorer: [defaults.scorer.METRICS_PORT],
  alerting: [defaults.alerting.METRICS_PORT],
  gateway: [defaults.gateway.GATEWAY_PORT, defaults.gateway.METRICS_PORT],
  operator: [defaults.operator.METRICS_PORT],
};

const services = readdirSync(join(ROOT, 'services')).filter((name) =>
  existsSync(join(ROOT, 'services', name, 'src', 'main.ts')),
);
const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const pinnedNode = /(\d+)\.(\d+)/.exec(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: { node: string } })
    .devDependencies.node,
)!;

describe('.dockerignore', () => {
  it('keeps installed and built trees out of the build context', () => {
    for (const path of [
      'node_modules/x',
      'libs/db/node_modules/pg',
      'services/gateway/dist/main.js',
      '.git/HEAD',
    ]) {
      expect(ignoredBy(dockerignore, path)).toBeDefined();
    }
  });
});

describe.each(services)('services/%s/Dockerfile', (service) => {
  const path = join(ROOT, 'services', service, 'Dockerfile');
  const instructions = existsSync(path) ? parseDockerfile(readFileSync(path, 'utf8')) : [];
  const lastStage = Math.max(...instructions.map((i) => i.stage));
  const final = instructions.filter((i) => i.stage === lastStage);
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
  const contextSources = all('COPY')
    .filter((i) => !i.args.startsWith('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));

  it('exists and builds in stages', () => {
    expect(instructions.length).toBeGreaterThan(0);
    expect(lastStage).toBeGreaterThanOrEqual(2);
  });

  it('uses the pinned Node 24 LTS release, never an unpinned or latest tag', () => {
    const image = all('ARG')
      .find((i) => i.args.startsWith('NODE_IMAGE='))
      ?.args.split('=')[1];
    expect(image).toMatch(new RegExp(`^node:${pinnedNode[1]}\\.${pinnedNode[2]}-alpine$`));
    for (const from of all('FROM')) {
      expect(from.args).not.toMatch(/:latest\b/);
      expect(from.args).toMatch(/^(\$\{NODE_IMAGE\}|[a-z-]+)( AS [a-z-]+)?$/);
    }
  });

  it('follows the hadolint rules that apply: COPY not ADD, absolute WORKDIR, exec-form CMD', () => {
    expect(all('ADD')).toHaveLength(0);
    for (const workdir of all('WORKDIR')) expect(workdir.args).toMatch(/^\//);
    expect(final.filter((i) => i.keyword === 'CMD').map((i) => JSON.parse(i.args) as unknown)).toEqual([
      ['node', 'dist/main.js'],
    ]);
    for (const run of all('RUN')) expect(run.args).not.toMatch(/\b(sudo|apt-get upgrade|curl[^|]*\|\s*sh)\b/);
  });

  it('runs as an unprivileged numeric user from the service folder', () => {
    const users = final.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    // nothing may run as root after the user is set
    const userIndex = final.lastIndexOf(users.at(-1)!);
    expect(final.slice(userIndex).filter((i) => i.keyword === 'RUN')).toHaveLength(0);
    expect(final.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args).toBe(`/app/services/${service}`);
  });

  it('installs production dependencies of this service only, and compiles it with its libraries', () => {
    expect(all('RUN').map((i) => i.args)).toEqual(
      expect.arrayContaining([`image-build production ${service}`, `image-build compile ${service}`]),
    );
  });

  it('copies every workspace manifest (npm resolves the workspaces from all of them)', () => {
    for (const manifestPath of workspaceManifests) expect(contextSources).toContain(manifestPath);
  });

  it('carries the sources and compiled code of every library the service loads, and its migrations', () => {
    const libs = workspaceLibraries(service);
    expect(libs.length).toBeGreaterThan(0);
    const fromStages = final.filter((i) => i.args.startsWith('--from=')).map((i) => i.args);
    for (const lib of libs) {
      expect(contextSources).toContain(`libs/${lib}/src`);
      expect(fromStages).toContain(`--from=compiled /src/libs/${lib}/dist libs/${lib}/dist`);
    }
    expect(contextSources).toContain(`services/${service}/src`);
    expect(fromStages).toContain(`--from=compiled /src/services/${service}/dist services/${service}/dist`);
    // the operator keeps no state of its own
    if (existsSync(join(ROOT, 'services', service, 'migrations')))
      expect(final.map((i) => i.args)).toContain(
        `services/${service}/migrations services/${service}/migrations`,
      );
    // the shared build script compiles the same libraries
    const script = readFileSync(join(ROOT, 'tools/docker/image-build.sh'), 'utf8');
    const scriptLibs = /^libs="([^"]+)"/m.exec(script)?.[1]?.split(' ').sort();
    expect(scriptLibs).toEqual(expect.arrayContaining(libs));
  });

  it('does not exclude from the context anything it copies', () => {
    for (const source of contextSources)
      expect([source, ignoredBy(dockerignore, source)]).toEqual([source, undefined]);
  });

  it('exposes the ports the service listens on by default', () => {
    const exposed = all('EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed.sort()).toEqual([...expectedPorts[service as keyof typeof expectedPorts]].sort());
  });
});
