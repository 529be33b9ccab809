// Pass-rate anomalies: each (source, region) keeps an exponentially weighted mean and variance of its
// per-minute pass rate; a window whose rate falls below the band the history predicts is an anomaly.
import type { AnomalySettings } from '../rules/rule-set.compiler.js';

export interface Baseline {
  mean: number;
  variance: number;
  /** Windows folded into the baseline so far. */
  windows: number;
}

export interface Judged {
  /** The rate the history predicted (the mean before this window). */
  expected: number;
  /** Lowest rate inside the band. */
  lowerBound: number;
  anomaly: boolean;
  next: Baseline;
}

/**
 * Judges one window against its baseline and folds it in. Too few records, or too little history, is never
 * an anomaly. Only drops count: a pass rate better than usual is not an alert.
 */
export function judgeWindow(
  baseline: Baseline | undefined,
  records: number,
  passed: number,
  settings: AnomalySettings,
): Judged {
  const rate = records > 0 ? passed / records : 1;
  if (!baseline)
    return { expected: rate, lowerBound: 0, anomaly: false, next: { mean: rate, variance: 0, windows: 1 } };
  const deviation = Math.sqrt(baseline.variance);
  const lowerBound = baseline.mean - Math.max(settings.deviations * deviation, settings.minDrop);
  const judgeable = records >= settings.minRecords && baseline.windows >= settings.minWindows;
  const anomaly = judgeable && rate < lowerBound;
  // West's EWMA update of mean and variance
  const diff = rate - baseline.mean;
  const increment = settings.alpha * diff;
  const mean = baseline.mean + increment;
  const variance = (1 - settings.alpha) * (baseline.variance + diff * increment);
  return {
    expected: baseline.mean,
    lowerBound: Math.max(0, lowerBound),
    anomaly,
    next: { mean, variance, windows: baseline.windows + 1 },
  };
}
