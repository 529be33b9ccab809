import { DEFAULT_ANOMALY } from '../rules/rule-set.compiler.js';
import { judgeWindow, type Baseline } from './anomaly.js';

function history(rates: number[]): Baseline | undefined {
  let baseline: Baseline | undefined;
  for (const rate of rates)
    baseline = judgeWindow(baseline, 100, Math.round(rate * 100), DEFAULT_ANOMALY).next;
  return baseline;
}

describe('judgeWindow', () => {
  it('keeps a steady pass rate inside the band', () => {
    const baseline = history([0.98, 0.97, 0.99, 0.98, 0.97, 0.98]);
    const judged = judgeWindow(baseline, 100, 96, DEFAULT_ANOMALY);
    expect(judged.anomaly).toBe(false);
    expect(judged.expected).toBeCloseTo(0.98, 2);
  });

  it('flags a drop below the band', () => {
    const judged = judgeWindow(history([0.98, 0.97, 0.99, 0.98, 0.97, 0.98]), 100, 60, DEFAULT_ANOMALY);
    expect(judged).toMatchObject({ anomaly: true });
    expect(judged.lowerBound).toBeGreaterThan(0.6);
  });

  it('does not judge small windows, short histories or improvements', () => {
    const baseline = history([0.98, 0.97, 0.99, 0.98, 0.97, 0.98]);
    expect(judgeWindow(baseline, 10, 0, DEFAULT_ANOMALY).anomaly).toBe(false);
    expect(judgeWindow(history([0.98, 0.98]), 100, 10, DEFAULT_ANOMALY).anomaly).toBe(false);
    expect(judgeWindow(history([0.6, 0.6, 0.6, 0.6, 0.6, 0.6]), 100, 100, DEFAULT_ANOMALY).anomaly).toBe(
      false,
    );
  });

  it('needs a drop of at least min_drop even when the history never moved', () => {
    const flat = history([1, 1, 1, 1, 1, 1]);
    expect(judgeWindow(flat, 100, 97, DEFAULT_ANOMALY).anomaly).toBe(false);
    expect(judgeWindow(flat, 100, 94, DEFAULT_ANOMALY).anomaly).toBe(true);
  });
});
