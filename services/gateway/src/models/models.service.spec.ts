import { averagePrecision, precisionAtBudget, qualityOf } from './models.service.js';
import type { LabelledScoreRow } from './models.repository.js';

const group = (score: number, scores: number, fraud: number) => ({ score, scores, fraud });

describe('precisionAtBudget', () => {
  it('counts the fraud among the highest scores, whatever order the groups come in', () => {
    expect(precisionAtBudget([group(0.2, 1, 0), group(0.9, 1, 1), group(0.5, 1, 1)], 2)).toBe(1);
  });

  it('counts a tied group across the cut in proportion to the part that fits', () => {
    // one fraud at 0.9, then four scores of 0.5 of which two are fraud; a budget of 3 takes half of them
    expect(precisionAtBudget([group(0.9, 1, 1), group(0.5, 4, 2)], 3)).toBeCloseTo(2 / 3, 12);
  });

  it('takes every labelled score when there are fewer than the budget, and has no figure without any', () => {
    expect(precisionAtBudget([group(0.9, 2, 1)], 100)).toBe(0.5);
    expect(precisionAtBudget([], 100)).toBeNull();
  });
});

describe('averagePrecision', () => {
  it('averages the precision at each fraud, as scikit-learn does', () => {
    // fraud at ranks 1, 3 and 4 of 5
    const groups = [group(0.9, 1, 1), group(0.8, 1, 0), group(0.7, 1, 1), group(0.6, 1, 1), group(0.1, 1, 0)];
    expect(averagePrecision(groups)).toBeCloseTo((1 + 2 / 3 + 3 / 4) / 3, 12);
  });

  it('ranks equal scores as one group: a constant score is worth the fraud share', () => {
    expect(averagePrecision([group(0.5, 10, 3)])).toBeCloseTo(0.3, 12);
  });

  it('has no figure without fraud', () => {
    expect(averagePrecision([group(0.5, 10, 0)])).toBeNull();
  });
});

describe('qualityOf', () => {
  const row = (score: number, flagged: boolean, scores: number, fraud: number): LabelledScoreRow => ({
    active_model: 'a',
    shadow_model: 'b',
    side: 'active',
    score,
    flagged,
    scores,
    fraud,
  });

  it('merges a score flagged under one policy version and approved under another into one rank', () => {
    // 0.6 was reviewed under thresholds of 0.5 and approved under 0.7: one group of three for the ranking
    const quality = qualityOf([row(0.6, true, 2, 1), row(0.6, false, 1, 1), row(0.1, false, 1, 0)], 1);
    expect(quality).toEqual({
      precision: 0.5,
      recall: 0.5,
      precision_at_budget: 2 / 3,
      average_precision: 2 / 3,
    });
  });
});
