// Additive Holt-Winters with up to two seasonal cycles (Taylor's double-seasonal method: a daily and a weekly
// cycle), in error-correction form, with parameters chosen by a grid search on one-step errors and prediction
// intervals from the one-step error spread. No maintained JavaScript library fits both cycles and intervals.

export interface Periods {
  /** Intervals per day, e.g. 24 for hourly data. */
  daily: number;
  /** Intervals per week (7 x daily). */
  weekly: number;
}

export type Seasonality = 'none' | 'daily' | 'daily+weekly';

export interface Smoothing {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

export interface HoltWintersModel extends Smoothing {
  seasonality: Seasonality;
  /** Standard deviation of the one-step errors over the fit. */
  sigma: number;
}

interface State {
  level: number;
  trend: number;
  daily: number[];
  weekly: number[];
}

export interface Band {
  forecast: number;
  lower: number;
  upper: number;
}

/** Two-sided normal quantiles for the supported interval widths. */
export const Z = { 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96, 0.99: 2.5758 } as const;
export type IntervalWidth = keyof typeof Z;

/** Errors beyond this many sigmas move the state only this far, so one spike does not bend next week's forecast. */
const CLIP_SIGMAS = 3;

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5];
const BETAS = [0, 0.01, 0.05];
const SEASONALS = [0.01, 0.05, 0.1, 0.2, 0.35];

/**
 * The richest seasonality the history supports: two full cycles start the season, and at least a day more is
 * needed to judge the model on points it was not started from.
 */
export function seasonalityFor(length: number, periods: Periods): Seasonality | undefined {
  if (length >= 2 * periods.weekly + periods.daily) return 'daily+weekly';
  if (length >= 3 * periods.daily) return 'daily';
  return undefined;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Starting state from the first two cycles of the longest season. */
function initialState(y: readonly number[], periods: Periods, seasonality: Seasonality): State {
  const cycle = seasonality === 'daily+weekly' ? periods.weekly : periods.daily;
  const first = y.slice(0, cycle);
  const second = y.slice(cycle, 2 * cycle);
  const level = mean(first);
  const trend = second.length === cycle ? (mean(second) - level) / cycle : 0;
  // the average shape of a cycle, each cycle measured from its own mean
  const shape = Array.from({ length: cycle }, (_, k) => {
    const deviations = [first, second].filter((c) => c.length === cycle).map((c) => c[k]! - mean(c));
    return mean(deviations);
  });
  const daily = Array.from({ length: periods.daily }, (_, j) =>
    seasonality === 'none' ? 0 : mean(shape.filter((_, k) => k % periods.daily === j)),
  );
  const weekly =
    seasonality === 'daily+weekly' ? shape.map((value, k) => value - daily[k % periods.daily]!) : [];
  return { level, trend, daily, weekly };
}

interface Run {
  /** One-step forecast of every point from the points before it. */
  oneStep: number[];
  /** One-step errors after the burn-in, and the sum of their absolute values. */
  errors: number[];
  absolute: number;
  state: State;
  /** Index of the point after the last one (where forecasting continues). */
  end: number;
}

function run(
  y: readonly number[],
  periods: Periods,
  seasonality: Seasonality,
  p: Smoothing,
  options: { clipAt?: number; burnIn: number },
): Run {
  const state = initialState(y, periods, seasonality);
  const { daily, weekly } = state;
  let { level, trend } = state;
  const oneStep = new Array<number>(y.length);
  const errors: number[] = [];
  let absolute = 0;
  for (let t = 0; t < y.length; t++) {
    const d = t % periods.daily;
    const w = weekly.length > 0 ? t % periods.weekly : -1;
    const forecast = level + trend + (seasonality === 'none' ? 0 : daily[d]!) + (w >= 0 ? weekly[w]! : 0);
    oneStep[t] = forecast;
    const error = y[t]! - forecast;
    if (t >= options.burnIn) {
      errors.push(error);
      absolute += Math.abs(error);
    }
    const e = options.clipAt ? Math.max(-options.clipAt, Math.min(options.clipAt, error)) : error;
    level = level + trend + p.alpha * e;
    trend = trend + p.alpha * p.beta * e;
    if (seasonality !== 'none') daily[d] = daily[d]! + p.gamma * e;
    if (w >= 0) weekly[w] = weekly[w]! + p.delta * e;
  }
  return { oneStep, errors, absolute, state: { level, trend, daily, weekly }, end: y.length };
}

/**
 * Fits the smoothing parameters with the least absolute one-step error (a spike in the history does not decide
 * them); undefined while the history is too short. Only points after the two starting cycles are judged: the
 * starting state was computed from those, so their errors would flatter the model.
 */
export function fit(y: readonly number[], periods: Periods): HoltWintersModel | undefined {
  const seasonality = seasonalityFor(y.length, periods);
  if (!seasonality) return undefined;
  const burnIn = 2 * (seasonality === 'daily+weekly' ? periods.weekly : periods.daily);
  const gammas = seasonality === 'none' ? [0] : SEASONALS;
  const deltas = seasonality === 'daily+weekly' ? SEASONALS : [0];
  let best: { loss: number; errors: number[]; p: Smoothing } | undefined;
  for (const alpha of ALPHAS)
    for (const beta of BETAS)
      for (const gamma of gammas)
        for (const delta of deltas) {
          const p = { alpha, beta, gamma, delta };
          const result = run(y, periods, seasonality, p, { burnIn });
          if (!best || result.absolute < best.loss)
            best = { loss: result.absolute, errors: result.errors, p };
        }
  return { ...best!.p, seasonality, sigma: robustSigma(best!.errors) };
}

/**
 * The spread of ordinary errors: the root mean square of errors winsorised at four robust standard deviations
 * (1.4826 x the median absolute deviation), so a spike in the history does not widen every later band.
 */
export function robustSigma(errors: readonly number[]): number {
  if (errors.length === 0) return 0;
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const center = median([...errors]);
  const mad = 1.4826 * median(errors.map((e) => Math.abs(e - center)));
  const limit = 4 * mad;
  const clipped = errors.map((e) => (limit > 0 ? Math.max(-limit, Math.min(limit, e)) : e));
  return Math.sqrt(clipped.reduce((sum, e) => sum + e * e, 0) / clipped.length);
}

/** Runs a fitted model over the series: one-step forecasts with bands for every point, and the state at the end. */
export function filter(
  y: readonly number[],
  periods: Periods,
  model: HoltWintersModel,
  width: IntervalWidth,
): { bands: Band[]; state: State; end: number } {
  const result = run(y, periods, model.seasonality, model, {
    clipAt: model.sigma > 0 ? CLIP_SIGMAS * model.sigma : undefined,
    burnIn: periods.daily,
  });
  const spread = Z[width] * model.sigma;
  return {
    bands: result.oneStep.map((forecast) => ({
      forecast,
      lower: forecast - spread,
      upper: forecast + spread,
    })),
    state: result.state,
    end: result.end,
  };
}

/** Forecasts `horizon` points after the state, with bands that widen with the distance. */
export function forecastFrom(
  state: State,
  end: number,
  periods: Periods,
  model: HoltWintersModel,
  horizon: number,
  width: IntervalWidth,
): Band[] {
  const bands: Band[] = [];
  let variance = 1;
  for (let h = 1; h <= horizon; h++) {
    const t = end + h - 1;
    const seasonal =
      (model.seasonality === 'none' ? 0 : state.daily[t % periods.daily]!) +
      (model.seasonality === 'daily+weekly' ? state.weekly[t % periods.weekly]! : 0);
    const forecast = state.level + h * state.trend + seasonal;
    if (h > 1) {
      const j = h - 1;
      // how an error j steps back still moves this forecast (ETS(A,A,A) variance, with both cycles)
      const c =
        model.alpha * (1 + j * model.beta) +
        (j % periods.daily === 0 ? model.gamma : 0) +
        (j % periods.weekly === 0 ? model.delta : 0);
      variance += c * c;
    }
    const spread = Z[width] * model.sigma * Math.sqrt(variance);
    bands.push({ forecast, lower: forecast - spread, upper: forecast + spread });
  }
  return bands;
}

/** Mean absolute percentage error of forecasts against actuals, in percent; intervals with zero actual are skipped. */
export function mape(actual: readonly number[], forecast: readonly number[]): number | undefined {
  let total = 0;
  let count = 0;
  actual.forEach((value, i) => {
    if (value === 0) return;
    total += Math.abs((value - forecast[i]!) / value);
    count++;
  });
  return count > 0 ? (100 * total) / count : undefined;
}

/** Fits on all but the last `holdout` points, forecasts those, and scores the forecast (MAPE). */
export function holdoutMape(
  y: readonly number[],
  periods: Periods,
  holdout: number,
  width: IntervalWidth,
): number | undefined {
  if (holdout <= 0 || y.length <= holdout) return undefined;
  const training = y.slice(0, y.length - holdout);
  const model = fit(training, periods);
  if (!model) return undefined;
  const { state, end } = filter(training, periods, model, width);
  const predicted = forecastFrom(state, end, periods, model, holdout, width).map((b) => b.forecast);
  return mape(y.slice(y.length - holdout), predicted);
}
