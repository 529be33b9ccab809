import { averagePrecision } from '../evaluation/metrics.js';
import {
  contributions,
  cutPoints,
  DEFAULT_PARAMETERS,
  predictProbability,
  train,
  type TrainingParameters,
} from './gbdt.js';

/** Fraud only when both signals are present: an interaction no single threshold separates. */
function interactionData(): { rows: number[][]; labels: Uint8Array } {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 400; i++) {
    const a = i % 2;
    const b = Math.floor(i / 2) % 2;
    rows.push([a, b, (i * 7) % 13]);
    labels.push(a && b ? 1 : 0);
  }
  return { rows, labels: Uint8Array.from(labels) };
}

/** A small seeded generator for test data (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Card amounts as the Handbook's simulator draws them (a customer's mean ~ U(5, 100), deviation half of
 * it, normal draws) and its first scenario: fraud is any amount above 220, about 1% of payments, far in the tail (above the 99th percentile).
 */
function amountRule(seed: number, count: number): { rows: number[][]; labels: Uint8Array } {
  const next = random(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const rows: number[][] = [];
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const mean = 5 + 95 * next();
    let amount = mean + (mean / 2) * normal();
    if (amount < 0) amount = 2 * mean * next();
    amount = Math.round(amount * 100) / 100;
    // a few payments spread over (100, 400), so that amounts near the threshold are seen on both sides
    if (next() < 0.015) amount = Math.round((100 + 300 * next()) * 100) / 100;
    rows.push([amount, Math.floor(next() * 24)]);
    labels[i] = amount > 220 ? 1 : 0;
  }
  return { rows, labels };
}

const parameters = { rounds: 30, maxDepth: 3, learningRate: 0.3, lambda: 1, minChildWeight: 1, maxBins: 16 };

const apOf = (model: ReturnType<typeof train>, data: { rows: number[][]; labels: Uint8Array }) =>
  averagePrecision(
    data.rows.map((x, i) => ({ score: predictProbability(model, x), isFraud: data.labels[i] === 1 })),
  );

describe('gradient-boosted trees', () => {
  it('learns an interaction of two signals and ignores a noise feature', () => {
    const { rows, labels } = interactionData();
    const model = train(rows, labels, parameters);

    expect(predictProbability(model, [1, 1, 5])).toBeGreaterThan(0.9);
    expect(predictProbability(model, [1, 0, 5])).toBeLessThan(0.1);
    expect(predictProbability(model, [0, 1, 5])).toBeLessThan(0.1);
    const credit = contributions(model, [1, 1, 5]);
    expect((credit.get(0) ?? 0) + (credit.get(1) ?? 0)).toBeGreaterThan(Math.abs(credit.get(2) ?? 0));
  });

  it('trains the same trees from the same data', () => {
    const { rows, labels } = interactionData();
    expect(JSON.stringify(train(rows, labels, parameters))).toBe(
      JSON.stringify(train(rows, labels, parameters)),
    );
  });

  it('learns "amount above 220", a rule true only beyond the 99th percentile, on held-out data', () => {
    const training = amountRule(1, 40_000);
    const heldOut = amountRule(2, 40_000);
    expect(training.labels.reduce((s, y) => s + y, 0)).toBeGreaterThan(20);
    const model = train(training.rows, training.labels, { ...DEFAULT_PARAMETERS, rounds: 40, maxDepth: 3 });

    expect(apOf(model, heldOut)).toBeGreaterThanOrEqual(0.98);
    // the split sits between the largest legitimate and the smallest fraudulent amount seen
    const amountCuts = model.trees.flatMap((t) => t.threshold.filter((_, node) => t.feature[node] === 0));
    expect(amountCuts.some((cut) => cut >= 220 && cut < 221)).toBe(true);
  });

  it('puts a cut between every pair of neighbouring values when there are few, and none at the largest', () => {
    expect(cutPoints([3, 1, 2, 2, 1], [0, 0, 0, 0, 0], 255)).toEqual([1.5, 2.5]);
    expect(cutPoints([7, 7, 7], [1, 0, 1], 255)).toEqual([]);
    const many = Array.from({ length: 10_000 }, (_, i) => i);
    const cuts = cutPoints(
      many,
      many.map((v) => (v > 9_990 ? 1 : 0)),
      64,
    );
    expect(cuts.length).toBeLessThanOrEqual(63);
    expect(cuts).toContain(9_990.5);
    expect([...cuts].sort((a, b) => a - b)).toEqual(cuts);
  });

  it('weighs fraud up with scale_pos_weight or "balanced" and still ranks the same signal', () => {
    const { rows, labels } = amountRule(3, 5_000);
    const fromPrior = { ...parameters, rounds: 1, baseScore: 'prior' as const };
    const plain = train(rows, labels, fromPrior);
    const balanced = train(rows, labels, { ...fromPrior, scalePosWeight: 'balanced' });
    const weighted = train(rows, labels, { ...fromPrior, scalePosWeight: 10 });
    expect(train(rows, labels, { ...parameters, rounds: 1 }).baseMargin).toBe(0);
    expect(balanced.baseMargin).toBeCloseTo(0, 10);
    expect(plain.baseMargin).toBeLessThan(weighted.baseMargin);
    expect(weighted.baseMargin).toBeLessThan(balanced.baseMargin);
  });

  it('subsamples rows and columns from its seed: the same seed gives the same model, another seed another', () => {
    const { rows, labels } = amountRule(4, 3_000);
    const sampled: TrainingParameters = { ...parameters, subsample: 0.7, colsampleByTree: 0.5, seed: 1 };
    const a = JSON.stringify(train(rows, labels, sampled));
    expect(JSON.stringify(train(rows, labels, sampled))).toBe(a);
    expect(JSON.stringify(train(rows, labels, { ...sampled, seed: 2 }))).not.toBe(a);
  });

  it('stops early on the time-ordered validation tail and keeps the best round', () => {
    const { rows, labels } = interactionData();
    const reports: { round: number; bestRound: number }[] = [];
    const model = train(
      rows,
      labels,
      {
        ...parameters,
        rounds: 200,
        validationFraction: 0.25,
        earlyStoppingRounds: 5,
        earlyStoppingMetric: 'logloss',
      },
      (_round, _loss, report) =>
        reports.push({ round: report.round, bestRound: report.validation!.bestRound }),
    );
    const last = reports[reports.length - 1]!;
    expect(last.round).toBeLessThan(200);
    expect(last.round - last.bestRound).toBe(5);
    expect(model.trees).toHaveLength(last.bestRound);
  });

  it('refuses parameters out of range', () => {
    const { rows, labels } = interactionData();
    expect(() => train(rows, labels, { ...parameters, subsample: 0 })).toThrow(/subsample/);
    expect(() => train(rows, labels, { ...parameters, maxBins: 1 })).toThrow(/maxBins/);
    expect(() => train(rows, labels, { ...parameters, validationFraction: 1 })).toThrow(/validationFraction/);
  });
});
