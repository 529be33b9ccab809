// The pinned Kubernetes tools built by tools/k8s/build-tools.sh, and helm rendering of the chart.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHART = join(ROOT, 'charts/vigil');

const TOOLS = [
  'helm',
  'kubectl',
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'kwokctl',
] as const;
export type Tool = (typeof TOOLS)[number];

/** The folder of the built tools: VIGIL_K8S_BIN, else the build script's default cache. */
export function toolsDir(): string {
  const dir =
    process.env.VIGIL_K8S_BIN ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vigil', 'k8s', 'bin');
  const missing = TOOLS.filter((tool) => !existsSync(join(dir, tool)));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} missing in ${dir}: run tools/k8s/build-tools.sh first`);
  }
  return dir;
}

export function tool(name: Tool): string {
  return join(toolsDir(), name);
}

/** Pinned versions, as the build script recorded them. */
export function toolVersions(): Record<string, string> {
  const text = readFileSync(join(toolsDir(), 'versions.env'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => line.split('=') as [string, string]),
  );
}

const run = promisify(execFile);

export class CommandError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs a tool and returns stdout; a failure carries both streams in its message. */
export async function exec(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const child = run(command, args, {
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 120_000,
  });
  if (options.input !== undefined) {
    child.child.stdin!.end(options.input);
  }
  try {
    const { stdout } = await child;
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new CommandError(
      `${command} ${args.join(' ')} failed: ${failure.stderr || failure.message}`,
      failure.stdout ?? '',
      failure.stderr ?? '',
    );
  }
}

let scratchDir: string | undefined;

/** One temporary folder per test file (each file loads this module afresh), removed after its tests. */
function scratch(): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'vigil-k8s-'));
  return scratchDir;
}

afterAll(() => {
  if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
});

/** Helm with its own cache and config folders, so tests neither read nor write the user's. */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(scratch(), 'helm');
  return {
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function parseManifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]!.message}`);
      return document.toJSON() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export const VALUES = {
  default: [],
  production: [join(CHART, 'values-production.yaml')],
  minimal: [join(CHART, 'values-minimal.yaml')],
} as const;

export interface RenderOptions {
  /** API versions the render assumes the cluster serves (helm --api-versions), e.g. a CRD's group/version/kind. */
  apiVersions?: string[];
  release?: string;
  namespace?: string;
  valuesFiles?: readonly string[];
  set?: Record<string, string>;
}

/** `helm template` of the chart; returns the YAML and its parsed objects. */
export async function renderChart(
  options: RenderOptions = {},
): Promise<{ yaml: string; manifests: Manifest[] }> {
  const args = [
    'template',
    options.release ?? 'vigil',
    CHART,
    '--namespace',
    options.namespace ?? 'vigil',
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ...(options.apiVersions ?? []).flatMap((version) => ['--api-versions', version]),
  ];
  const yaml = await exec(tool('helm'), args, { env: helmEnv() });
  return { yaml, manifests: parseManifests(yaml) };
}

/** A fresh folder inside the process's temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(scratch(), prefix));
}

/** Writes text to a fresh temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(scratch(), 'file-')), name);
  writeFileSync(path, text);
  return path;
}
