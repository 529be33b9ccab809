// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Detection on card data shaped by an outside description (the Fraud Detection Handbook's simulator, at
// its own population size), in the Handbook's protocol: 35 days of history, 7 days of training, a 7-day
// label delay, 7 days of test. First the 15 textbook features computed point in time; then the scorer's own
// features, computed as the running scorer computes them, each fraud's label known 7 days after it.
import type { Transaction } from '@vigil/contracts';
import {
  generateCardTransactions,
  type CardTransactionRecord,
} from '../../services/ingest/src/generator/card/index.js';
import { cardPaymentOf, type CardPayment } from '../../services/scorer/src/evaluation/card-features.js';
import {
  evaluateCards,
  formatCardReport,
  HANDBOOK_PROTOCOL,
} from '../../services/scorer/src/evaluation/card-evaluation.js';
import { featuresOf } from '../../services/scorer/src/evaluation/evaluate.js';
import { FEATURE_NAMES } from '../../services/scorer/src/features/features.js';

// the simulation is deterministic in its seed: both tests read the same 56 days, generated once
let generated: { records: CardTransactionRecord[]; payments: CardPayment[] } | undefined;
function simulation(): { records: CardTransactionRecord[]; payments: CardPayment[] } {
  if (!generated) {
    const records = [...generateCardTransactions({ seed: 42, days: 56, startTime: '2018-04-01T00:00:00Z' })];
    generated = { records, payments: records.map((r) => cardPaymentOf(r, r.transaction_id)) };
  }
  return generated;
}

describe('card fraud detection (Handbook protocol)', () => {
  it('ranks test-week fraud above the logistic-regression baseline and finds 30 fraudulent cards in 100 a day', () => {
    const report = evaluateCards(simulation().payments, HANDBOOK_PROTOCOL);
    process.stdout.write(`${formatCardReport(report)}\n`);

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

  it("reaches the product target with the scorer's own features: AP >= 0.70 and CP@100 >= 0.30", () => {
    const labelled = simulation().records.map((r) => ({
      transaction: r as unknown as Transaction,
      isFraud: r.labels.is_fraud,
    }));
    const rows = featuresOf(labelled, { labelDelayMs: HANDBOOK_PROTOCOL.delayDays * 86_400_000 });
    const report = evaluateCards(simulation().payments, HANDBOOK_PROTOCOL, {
      features: { names: FEATURE_NAMES, rows },
    });
    process.stdout.write(`${formatCardReport(report)}\n`);
    const [logistic, trees] = report.results;
    expect(trees!.model).toBe('gbdt (ours), online features');
    // docs/detection.md: AP 0.705, CP@100 0.320 on this seed; the Handbook's XGBoost 0.687 / 0.303
    expect(trees!.averagePrecision).toBeGreaterThanOrEqual(0.7);
    expect(trees!.cardPrecision.mean).toBeGreaterThanOrEqual(0.3);
    expect(trees!.averagePrecision).toBeGreaterThan(logistic!.averagePrecision);
  }, 240_000);
});
