// A candidate model in shadow through the real suite: installed beside the bundled one (SCORER_MODELS_DIR), put
// into the scoring policy as shadow_model without a restart, it scores every later transaction next to the active
// model; GET /v1/models/comparison counts exactly those transactions, and the labels given on them.
import 'reflect-metadata';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScoringPolicyDocument, type ScoringPolicy } from '@vigil/contracts';
import { DocumentStore, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

const BUNDLED = 'gbdt-c68ba30f232e';
const CANDIDATE = 'gbdt-candidate-e2e';
const MODELS = fileURLToPath(new URL('../../services/scorer/models/', import.meta.url));

interface Opinion {
  model_version: string;
  review: number;
  block: number;
  mean_score: number;
}
interface Comparison {
  scores: number;
  agreement_rate: number;
  labels: { scores: number; fraud: number };
  active: Opinion;
  shadow: Opinion;
}

describe('a shadow model: policy -> scorer.scores.shadow -> GET /v1/models/comparison', () => {
  let suite: Suite;
  let nats: NatsClient;
  let modelsDir: string;
  let token: string;
  const started = new Date(Date.now() - 1000).toISOString();
  const run = Date.now().toString(36);
  let sequence = 0;

  /** Submits one ordinary payment through ingest and waits for its score; answers its shadow model, if any. */
  async function scoreOne(): Promise<{ id: string; shadow: string | null }> {
    const transaction = newTransaction({ transaction_id: `shadow-${run}-${++sequence}` });
    const submitted = await postJson<{ accepted: number }>(`${suite.ingestUrl}/v1/transactions`, transaction);
    expect(submitted.body.accepted).toBe(1);
    const [row] = await waitFor(
      () =>
        suite.db.query<{ shadow: string | null }>(
          `SELECT shadow->>'model_version' AS shadow FROM scorer.scores WHERE transaction_id = $1`,
          [transaction.transaction_id],
        ),
      (rows) => rows.length === 1,
      { what: `the score of ${transaction.transaction_id}` },
    );
    return { id: transaction.transaction_id, shadow: row!.shadow };
  }

  beforeAll(async () => {
    // the candidate is the bundled trees under another version: its opinion must equal the model's own score
    modelsDir = await mkdtemp(join(tmpdir(), 'vigil-models-'));
    const artifact = JSON.parse(await readFile(join(MODELS, `${BUNDLED}.json`), 'utf8')) as {
      version: string;
    };
    await writeFile(join(modelsDir, `${BUNDLED}.json`), JSON.stringify(artifact));
    await writeFile(
      join(modelsDir, `${CANDIDATE}.json`),
      JSON.stringify({ ...artifact, version: CANDIDATE }),
    );
    suite = await Suite.start({ env: { scorer: { SCORER_MODELS_DIR: modelsDir } } });
    token = await tokenFor(suite.gatewayUrl, 'fraud-ops');
    nats = await NatsClient.connect({
      url: suite.nats.url,
      name: 'shadow-model-test',
      logger: createLogger('shadow-model-test', 'silent'),
    });
  });

  afterAll(async () => {
    await nats?.drain();
    await suite?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('compares the candidate with the active model on the transactions scored while it was in the policy', async () => {
    const before = [await scoreOne(), await scoreOne()];
    expect(before.map((s) => s.shadow)).toEqual([null, null]);

    const policies = await DocumentStore.open(
      nats,
      ScoringPolicyDocument,
      createLogger('shadow-model-test', 'silent'),
    );
    const current = (await policies.current())!;
    expect(current.document.model).toBe(BUNDLED);
    const candidatePolicy: ScoringPolicy = { ...current.document, shadow_model: CANDIDATE };
    await policies.apply(candidatePolicy, 'fraud-ops', current.version);

    // the scorer swaps the policy in within a second or so; the first transaction with a shadow opinion marks it
    let first = await scoreOne();
    for (let tries = 0; first.shadow === null && tries < 50; tries++) first = await scoreOne();
    expect(first.shadow).toBe(CANDIDATE);
    const shadowed = [first, await scoreOne(), await scoreOne(), await scoreOne()];
    expect(shadowed.map((s) => s.shadow)).toEqual([CANDIDATE, CANDIDATE, CANDIDATE, CANDIDATE]);

    const labelled = await postJson<{ accepted: number }>(
      `${suite.gatewayUrl}/v1/labels`,
      {
        items: [
          { transaction_id: shadowed[0]!.id, label: 'fraud' },
          { transaction_id: shadowed[1]!.id, label: 'legitimate' },
          // scored before the shadow model: not compared, its label not counted
          { transaction_id: before[0]!.id, label: 'fraud' },
        ],
      },
      { authorization: `Bearer ${token}` },
    );
    expect(labelled.body.accepted).toBe(3);

    const query = `from=${started}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const report = await waitFor(
      () =>
        getJson<{ comparisons: Comparison[] }>(`${suite.gatewayUrl}/v1/models/comparison?${query}`, token),
      (r) => r.status === 200 && r.body.comparisons[0]?.labels.scores === 2,
      { what: 'both labels in the comparison', timeoutMs: 10_000 },
    );
    expect(report.body.comparisons).toHaveLength(1);
    const [comparison] = report.body.comparisons;
    // the same trees under both names, and no rule fires on these payments: the two agree on every one
    expect(comparison).toMatchObject({
      scores: 4,
      agreement_rate: 1,
      labels: { scores: 2, fraud: 1 },
      active: { model_version: BUNDLED },
      shadow: { model_version: CANDIDATE },
    });
    expect(comparison!.shadow.mean_score).toBeCloseTo(comparison!.active.mean_score, 4);
  });
});
