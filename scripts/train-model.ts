// `npm run train`: generates the labelled training set (seed 7) and a held-out set (seed 11), trains the
// fraud model on the first, evaluates it on the second, and writes the artifact into the scorer's models.
// Deterministic: the same seeds and options give the same model version. Extra flags go to `model train`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DATASETS = join(ROOT, '.vigil', 'datasets');
const TRAIN = { seed: 7, count: 300_000 };
const HOLDOUT = { seed: 11, count: 100_000 };

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

mkdirSync(DATASETS, { recursive: true });
const dataset = (set: { seed: number; count: number }) =>
  join(DATASETS, `generated-s${set.seed}-${set.count}.ndjson`);
run('npm', ['run', 'build', '--silent']);
for (const set of [TRAIN, HOLDOUT]) {
  run('node', [
    'services/ingest/dist/cli/generate.js',
    '--seed',
    String(set.seed),
    '--count',
    String(set.count),
    '--out',
    dataset(set),
  ]);
}
run('node', [
  'services/scorer/dist/cli/model.js',
  'train',
  '--input',
  dataset(TRAIN),
  '--holdout',
  dataset(HOLDOUT),
  '--out',
  'services/scorer/models',
  // about as many alerts as the held-out set holds fraud
  '--budget',
  '2000',
  ...process.argv.slice(2),
]);
console.log('set "model" (or "shadow_model") in the scoring policy to this version to use it');
