// A candidate model in shadow through the real suite: installed beside the bundled one (SCORER_MODELS_DIR), put
// into the scoring policy as shadow_model without a restart, it scores every later transaction next to the active
// model; GET /v1/models/comparison counts exactly those transactions, and the labels given on them, and the
// dashboard shows them in its Shadow model panel to fraud-ops (in Debian's chromium), not to an SRE.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { ScoringPolicyDocument, type ScoringPolicy } from '@vigil/contracts';
import { DocumentStore, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { DEMO_PASSWORD, Suite } from '../support/suite.js';

const BUNDLED = 'gbdt-c68ba30f232e';
const CANDIDATE = 'gbdt-candidate-e2e';
const CHROMIUM = '/usr/bin/chromium';
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
  let before: { id: string; shadow: string | null }[];
  let shadowed: { id: string; shadow: string | null }[];

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

    // scored before the candidate is in the policy: no shadow opinion
    before = [await scoreOne(), await scoreOne()];
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
    shadowed = [first, await scoreOne(), await scoreOne(), await scoreOne()];
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
    // labels reach the scorer's store over the LABELS stream; the comparison reads them there
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM scorer.labels WHERE transaction_id = ANY($1)',
          [[shadowed[0]!.id, shadowed[1]!.id, before[0]!.id]],
        ),
      (rows) => rows[0]!.n === 3,
      { what: 'the three labels in scorer.labels' },
    );
  });

  afterAll(async () => {
    await nats?.drain();
    await suite?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('compares the candidate with the active model on the transactions scored while it was in the policy', async () => {
    const query = `from=${started}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const report = await getJson<{ comparisons: Comparison[] }>(
      `${suite.gatewayUrl}/v1/models/comparison?${query}`,
      token,
    );
    expect(report.status).toBe(200);
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

  it('shows the comparison in the dashboard to fraud-ops, and not to an SRE', async () => {
    // fail, never skip: a missing browser must not pass the suite silently
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: the dashboard check needs Debian's chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    try {
      const open = async (username: string): Promise<Page> => {
        const page = await (await browser.newContext()).newPage();
        page.setDefaultTimeout(15_000);
        await page.goto(`${suite.gatewayUrl}/`);
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(DEMO_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#updated').filter({ hasText: 'Updated' }).waitFor();
        return page;
      };
      const fraudOps = await open('fraud-ops');
      await fraudOps.locator('#shadow').waitFor({ state: 'visible' });
      const models = await fraudOps.locator('#shadow-rows tr td:first-child').allTextContents();
      expect(models).toEqual([`${BUNDLED} (active)`, `${CANDIDATE} (shadow)`]);
      expect(await fraudOps.locator('#shadow-legend').textContent()).toBe(
        '4 scores, same decision on 100.0 %; 1 fraud of 2 labelled.',
      );
      const sre = await open('sre');
      expect(await sre.locator('#shadow').isHidden()).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
