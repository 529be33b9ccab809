// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Detection on card data shaped by an outside description (the Fraud Detection Handbook's simulator, at
// its own population size), in the Handbook's protocol: 35 days of history, 7 days of training, a 7-day
// label delay, 7 days of test. First the 15 textbook features computed point in time; then the scorer's own
// features, computed as the running scorer computes them, each fraud's label known 7 days after it. Both run the
// commands docs/detection.md gives a user (`generate --kind card`, `model evaluate-cards`), as processes of their
// own, and read the report each writes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CardEvaluationReport } from '../../services/scorer/src/evaluation/card-evaluation.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const run = promisify(execFile);

/** Runs one of the built CLIs (npm run build first) and passes its report on to the test's output. */
async function cli(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(NODE, [join(ROOT, script), ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe('card fraud detection (Handbook protocol)', () => {
  let dir = '';
  let cards = '';

  // the simulation is deterministic in its seed: both tests read the same 56 days, generated once
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cards-'));
    cards = join(dir, 'cards.ndjson');
    await cli('services/ingest/dist/cli/generate.js', [
      '--kind',
      'card',
      '--days',
      '56',
      '--seed',
      '42',
      '--start',
      '2018-04-01T00:00:00Z',
      '--out',
      cards,
    ]);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function evaluate(features: 'handbook' | 'online'): Promise<CardEvaluationReport> {
    const reportPath = join(dir, `${features}.json`);
    const stdout = await cli('services/scorer/dist/cli/model.js', [
      'evaluate-cards',
      '--in',
      cards,
      '--features',
      features,
      '--report',
      reportPath,
    ]);
    process.stdout.write(stdout);
    return JSON.parse(readFileSync(reportPath, 'utf8')) as CardEvaluationReport;
  }

  it('ranks test-week fraud above the logistic-regression baseline and finds 30 fraudulent cards in 100 a day', async () => {
    const report = await evaluate('handbook');
    const [logistic, trees] = report.results;
    expect(report.protocol.startDay).toBe(35);
    expect(report.test.fraud).toBeGreaterThan(300);
    // The Handbook's XGBoost: AP 0.687, CP@100 0.303 on its simulator. Real XGBoost 1.7.4 with our
    // parameters on these very features: AP 0.674, CP@100 0.321 (docs/detection.md). The product target
    // of AP 0.70 is not reached by these 15 features with either library, so the bar here is the level
    // both reach, a little under the Handbook's; CP@100 meets the target.
    expect(trees!.averagePrecision).toBeGreaterThanOrEqual(0.65);
    expect(trees!.cardPrecision.mean).toBeGreaterThanOrEqual(0.3);
    expect(trees!.rocAuc).toBeGreaterThanOrEqual(0.85);
    expect(trees!.averagePrecision).toBeGreaterThanOrEqual(logistic!.averagePrecision);
    expect(trees!.cardPrecision.mean).toBeGreaterThanOrEqual(logistic!.cardPrecision.mean);
  }, 240_000);

  it("reaches the product target with the scorer's own features: AP >= 0.70 and CP@100 >= 0.30", async () => {
    const report = await evaluate('online');
    const [logistic, trees] = report.results;
    expect(trees!.model).toBe('gbdt (ours), online features');
    // docs/detection.md: AP 0.705, CP@100 0.320 on this seed; the Handbook's XGBoost 0.687 / 0.303
    expect(trees!.averagePrecision).toBeGreaterThanOrEqual(0.7);
    expect(trees!.cardPrecision.mean).toBeGreaterThanOrEqual(0.3);
    expect(trees!.averagePrecision).toBeGreaterThan(logistic!.averagePrecision);
  }, 240_000);
});
