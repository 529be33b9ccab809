// The bundled fraud model on data it never saw (generated with another seed), computed through the
// same feature code the scorer runs; and training is deterministic.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions } from '../../services/ingest/src/generator/index.js';
import type { LabelledTransaction } from '../../services/scorer/src/evaluation/dataset.js';
import { evaluate, featuresOf, formatEvaluation } from '../../services/scorer/src/evaluation/evaluate.js';
import { runModelCommand } from '../../services/scorer/src/cli/model.command.js';
import { loadModels } from '../../services/scorer/src/model/model-artifact.js';
import { DEFAULT_POLICY_FILE, MODELS_DIR } from '../../services/scorer/src/policy/policy.service.js';

function generated(seed: number, count: number): LabelledTransaction[] {
  return [...generateTransactions({ seed, count })].map((record) => ({
    transaction: record as unknown as LabelledTransaction['transaction'],
    isFraud: record.labels.is_fraud,
    ...(record.labels.typology ? { typology: record.labels.typology } : {}),
  }));
}

describe('fraud model', () => {
  it('ranks held-out generated fraud with AUPRC of at least 0.99 and prints its figures', async () => {
    const defaultPolicy = JSON.parse(await readFile(DEFAULT_POLICY_FILE, 'utf8')) as { model: string };
    const model = (await loadModels(MODELS_DIR)).get(defaultPolicy.model);
    expect(model).toBeDefined();
    const holdout = generated(11, 60_000);

    const result = evaluate(
      holdout,
      featuresOf(holdout).map((x) => model!.probability(x)),
      2_000,
      0.5,
    );

    process.stdout.write(`${formatEvaluation(`model ${model!.version} on seed 11`, result)}\n`);
    expect(result.fraud).toBeGreaterThan(1_000);
    expect(result.auprc).toBeGreaterThanOrEqual(0.99);
    expect(result.rocAuc).toBeGreaterThanOrEqual(0.99);
    for (const [typology, { recall }] of Object.entries(result.recallByTypology)) {
      expect([typology, recall >= 0.8]).toEqual([typology, true]);
    }
  }, 120_000);

  it('trains the same model, with the same version, from the same seed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-model-'));
    try {
      const data = join(dir, 'train.ndjson');
      await writeFile(
        data,
        [...generateTransactions({ seed: 3, count: 8_000 })].map((r) => JSON.stringify(r)).join('\n'),
      );
      const output: string[] = [];
      const io = { stdout: { write: (t: string) => output.push(t) }, stderr: { write: () => true } };
      const outDirs = [join(dir, 'a'), join(dir, 'b')];
      for (const out of outDirs) {
        await mkdir(out);
        expect(await runModelCommand(['train', '--input', data, '--out', out, '--rounds', '20'], io)).toBe(0);
      }
      const versions = await Promise.all(outDirs.map(async (out) => (await readdir(out)).join()));
      expect(versions[0]).toMatch(/^gbdt-[0-9a-f]{12}\.json$/);
      expect(versions[1]).toBe(versions[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
