// Builds libs and services with `npm run build`, skipped when nothing changed since the last successful build.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';

export interface BuildOptions {
  repoRoot: string;
  /** Where the fingerprint of the last successful build is kept. */
  stampFile: string;
  /** Rebuild even when the fingerprint matches. */
  force?: boolean;
  log: (message: string, level?: 'info' | 'warn' | 'error') => void;
}

const ROOT_INPUTS = ['package.json', 'package-lock.json', 'nx.json', '.swcrc', 'tsconfig.base.json'];
const PROJECT_FOLDERS = ['libs', 'services'];

export async function buildIfStale(options: BuildOptions): Promise<'up to date' | 'built'> {
  const before = fingerprint(options.repoRoot);
  const missing = missingOutputs(options.repoRoot);
  if (!options.force && missing.length === 0 && readStamp(options.stampFile) === before) {
    options.log('build is up to date (no source changed since the last build)');
    return 'up to date';
  }
  const started = Date.now();
  options.log('building libs and services (npm run build)…');
  const projects: string[] = [];
  // A first build takes a while on a small machine: say every 10 s how far it got.
  const progress = setInterval(() => {
    const latest = projects.at(-1);
    options.log(
      `  still building (${projects.length} projects started${latest ? `, latest ${latest}` : ''})…`,
    );
  }, 10_000);
  const { code, output } = await runBuild(options.repoRoot, (project) => projects.push(project)).finally(() =>
    clearInterval(progress),
  );
  if (code !== 0) {
    throw new Error(`npm run build failed (exit code ${code}):\n${output.slice(-60).join('\n')}`);
  }
  const stillMissing = missingOutputs(options.repoRoot);
  if (stillMissing.length > 0) {
    throw new Error(`npm run build succeeded but did not produce ${stillMissing.slice(0, 5).join(', ')}`);
  }
  // The fingerprint taken before the build: an edit made while it ran makes the next start rebuild.
  mkdirSync(dirname(options.stampFile), { recursive: true });
  writeFileSync(options.stampFile, `${before}\n`);
  options.log(`built ${projects.length} projects in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

function runBuild(
  repoRoot: string,
  onProject: (project: string) => void,
): Promise<{ code: number | null; output: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        output.push(line);
        const project = /^> nx run (\S+):build/.exec(line)?.[1];
        if (project) onProject(project);
      });
    }
    child.once('error', (error) =>
      resolve({ code: -1, output: [...output, `cannot run npm: ${error.message}`] }),
    );
    child.once('close', (code) => resolve({ code, output }));
  });
}

function projectRoots(repoRoot: string): string[] {
  return PROJECT_FOLDERS.flatMap((folder) => {
    const base = join(repoRoot, folder);
    if (!existsSync(base)) return [];
    return readdirSync(base, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
      .map((entry) => join(base, entry.name));
  });
}

function sourceFiles(projectRoot: string): string[] {
  const src = join(projectRoot, 'src');
  if (!existsSync(src)) return [];
  return readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Path, size and modification time of every build input; deletions change it too. */
function fingerprint(repoRoot: string): string {
  const files = [
    ...ROOT_INPUTS.map((name) => join(repoRoot, name)).filter((file) => existsSync(file)),
    ...projectRoots(repoRoot).flatMap((root) => [join(root, 'package.json'), ...sourceFiles(root)]),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const stat = statSync(file);
    hash.update(`${relative(repoRoot, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** dist files that a build of the current sources must produce but that are not there (swc maps src/x.ts to dist/x.js). */
function missingOutputs(repoRoot: string): string[] {
  return projectRoots(repoRoot).flatMap((root) =>
    sourceFiles(root)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts'))
      .map((file) => join(root, 'dist', relative(join(root, 'src'), file)).replace(/\.ts$/, '.js'))
      .filter((output) => !existsSync(output))
      .map((output) => relative(repoRoot, output)),
  );
}

function readStamp(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
