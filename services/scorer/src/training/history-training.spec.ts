import { FEATURE_NAMES } from '../features/features.js';
import { DAY_MS, trainOnHistory, type HistoryProtocol } from './history-training.js';
import type { StoredScore } from './training-set.repository.js';

// a stored history: 30 cards pay 40 terminals every 3 hours, each card reissued every 10 days (so a card known
// to be compromised does not hide every later fraud); a payment of 500 or more is fraud
function history(days: number, labelDelayMs: number | null): StoredScore[] {
  const scores: StoredScore[] = [];
  for (let at = 0, n = 0; at < days * DAY_MS; at += 3 * 3_600_000, n++) {
    for (let card = 0; card < 30; card++) {
      const fraud = (n * 31 + card * 17) % 53 === 0;
      const amount = fraud ? 500 + card : 20 + ((n + card) % 30);
      const features = new Array<number>(FEATURE_NAMES.length).fill(-1);
      features[FEATURE_NAMES.indexOf('log_amount')] = Math.log1p(amount);
      scores.push({
        transactionId: `tx-${n}-${card}`,
        occurredAt: at + card * 1000,
        partnerId: null,
        originAccount: `c${card}-${Math.floor(at / (10 * DAY_MS))}`,
        destinationAccount: `t${(n + card) % 40}`,
        amount,
        features,
        featureSet: 'fs-test',
        label: fraud ? 'fraud' : null,
        labelledAt: fraud && labelDelayMs !== null ? at + card * 1000 + labelDelayMs : null,
      });
    }
  }
  return scores;
}

const sets = new Map([['fs-test', [...FEATURE_NAMES]]]);
const protocol = (over: Partial<HistoryProtocol> = {}): HistoryProtocol => ({
  fromMs: 2 * DAY_MS,
  toMs: 23 * DAY_MS,
  trainDays: 7,
  delayDays: 7,
  testDays: 7,
  topK: 5,
  budget: 35,
  ...over,
});

describe('trainOnHistory', () => {
  it('counts a training label only if it was given before the fold tests, and rolls folds forward', () => {
    const onTime = trainOnHistory(history(30, 7 * DAY_MS), sets, protocol({ toMs: 30 * DAY_MS }));
    expect(onTime.report.folds).toHaveLength(2);
    expect(onTime.report.folds[1]!.train.from).toBe(new Date(9 * DAY_MS).toISOString());
    expect(onTime.report.folds[0]!.train.fraudNotYetKnown).toBe(0);
    // labels that came 10 days late: the last 3 training days' frauds were not known when the fold tested
    const late = trainOnHistory(history(30, 10 * DAY_MS), sets, protocol());
    const fold = late.report.folds[0]!;
    expect(fold.train.fraudNotYetKnown).toBeGreaterThan(0);
    expect(fold.train.fraud + fold.train.fraudNotYetKnown).toBe(onTime.report.folds[0]!.train.fraud);
  });

  it('learns from the stored vectors, named by their feature set', () => {
    const { report } = trainOnHistory(history(30, 7 * DAY_MS), sets, protocol());
    const trees = report.folds[0]!.results.find((r) => r.model === 'gbdt (ours), stored features')!;
    expect(trees.averagePrecision).toBeGreaterThan(0.99);
    expect(report.features).toEqual(FEATURE_NAMES);
  });

  it('leaves out, each test day, the cards with a fraud known before that day', () => {
    const { report } = trainOnHistory(history(30, 7 * DAY_MS), sets, protocol());
    expect(report.folds[0]!.test.removedKnownCards).toBeGreaterThan(0);
  });

  it('refuses windows shorter than a fold, and a history with no stored vector', () => {
    expect(() => trainOnHistory(history(30, 7 * DAY_MS), sets, protocol({ toMs: 10 * DAY_MS }))).toThrow(
      /shorter than one fold/,
    );
    const bare = history(30, 7 * DAY_MS).map((s) => ({ ...s, features: null, featureSet: null }));
    expect(() => trainOnHistory(bare, sets, protocol())).toThrow(
      /no score in the windows has a stored feature vector/,
    );
  });
});
