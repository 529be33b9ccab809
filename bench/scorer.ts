// Scorer compute: for each transaction of a generated stream, in order, the scorer's own code computes
// its features against the accounts' state and applies the bundled policy (model + CEL rules + decision).
// Timed per transaction; the figure the target (p99 <= 1 ms) is about. No I/O: that is in the e2e phases.
import { readFileSync } from 'node:fs';
import { ROOT } from './lib/suite.ts';
import { distribution, type Distribution } from './lib/stats.ts';

type Extractor = typeof import('../services/scorer/src/features/feature-extractor.ts');
type Risk = typeof import('../services/scorer/src/scoring/risk-engine.ts');
type Policy = typeof import('../services/scorer/src/policy/scoring-policy.ts');
type Artifacts = typeof import('../services/scorer/src/model/model-artifact.ts');
type PolicyService = typeof import('../services/scorer/src/policy/policy.service.ts');
type Generator = typeof import('../services/ingest/src/generator/index.ts');

export interface ScorerComputeResult {
  records: number;
  /** Features + model + rules + decision, per transaction, in microseconds. */
  computeUs: Distribution;
  /** The model and rules alone (features excluded), per transaction, in microseconds. */
  modelUs: Distribution;
  scoredPerSec: number;
  modelVersion: string;
  method: string;
}

export async function measureScorerCompute(records: number): Promise<ScorerComputeResult> {
  const dist = `${ROOT}services/scorer/dist/`;
  const { InMemoryAccountStates, fullFeatures } = (await import(
    `${dist}features/feature-extractor.js`
  )) as Extractor;
  const { assessRisk } = (await import(`${dist}scoring/risk-engine.js`)) as Risk;
  const { compilePolicy } = (await import(`${dist}policy/scoring-policy.js`)) as Policy;
  const { loadModels } = (await import(`${dist}model/model-artifact.js`)) as Artifacts;
  const { DEFAULT_POLICY_FILE, MODELS_DIR } = (await import(
    `${dist}policy/policy.service.js`
  )) as PolicyService;
  const { generateTransactions } = (await import(
    `${ROOT}services/ingest/dist/generator/index.js`
  )) as Generator;

  const document = JSON.parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as Parameters<
    typeof compilePolicy
  >[0];
  const policy = compilePolicy(document, 1, await loadModels(MODELS_DIR));
  const transactions = [...generateTransactions({ seed: 21, count: records })] as unknown as Parameters<
    typeof fullFeatures
  >[0][];
  const states = new InMemoryAccountStates();
  const compute: number[] = [];
  const model: number[] = [];
  const started = performance.now();
  for (const transaction of transactions) {
    const t0 = process.hrtime.bigint();
    const features = fullFeatures(transaction, states);
    const t1 = process.hrtime.bigint();
    assessRisk(transaction, features, policy);
    const t2 = process.hrtime.bigint();
    compute.push(Number(t2 - t0) / 1_000);
    model.push(Number(t2 - t1) / 1_000);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    records,
    computeUs: distribution(compute),
    modelUs: distribution(model),
    scoredPerSec: records / seconds,
    modelVersion: policy.model.version,
    method: `one core, in stream order: features against per-account state, ${policy.model.version} (${policy.model.artifact.model.trees.length} trees) and ${policy.rules.length} CEL rules, decision by policy thresholds`,
  };
}
