import { atAlertBudget, averagePrecision, recallAt, rocAuc } from './metrics.js';

const items = (pairs: [number, boolean][]) => pairs.map(([score, isFraud]) => ({ score, isFraud }));

describe('ranking metrics', () => {
  it('gives a perfect ranking AUPRC and ROC-AUC of 1', () => {
    const perfect = items([
      [0.9, true],
      [0.8, true],
      [0.3, false],
      [0.1, false],
    ]);
    expect(averagePrecision(perfect)).toBe(1);
    expect(rocAuc(perfect)).toBe(1);
  });

  it('computes average precision over the ranks where fraud is found', () => {
    // fraud at ranks 1 and 3: (1/1 + 2/3) / 2
    const ranked = items([
      [0.9, true],
      [0.8, false],
      [0.7, true],
      [0.1, false],
    ]);
    expect(averagePrecision(ranked)).toBeCloseTo((1 + 2 / 3) / 2, 10);
    expect(rocAuc(ranked)).toBeCloseTo(0.75, 10);
  });

  it('ranks tied scores as one group, so ties earn no credit for an arbitrary order', () => {
    const tied = items([
      [0.5, true],
      [0.5, false],
    ]);
    expect(rocAuc(tied)).toBe(0.5);
    expect(averagePrecision(tied)).toBe(0.5);
  });

  it('reports precision and recall at an alert budget and recall at a threshold', () => {
    const ranked = items([
      [0.9, true],
      [0.8, false],
      [0.7, true],
      [0.1, true],
    ]);
    expect(atAlertBudget(ranked, 2)).toEqual({ budget: 2, alerts: 2, precision: 0.5, recall: 1 / 3 });
    expect(recallAt(ranked, 0.5)).toBeCloseTo(2 / 3, 10);
  });
});
