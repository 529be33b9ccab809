import {
  filter,
  fit,
  forecastFrom,
  holdoutMape,
  mape,
  robustSigma,
  seasonalityFor,
  type Periods,
} from './holt-winters.js';

const hourly: Periods = { daily: 24, weekly: 168 };

/** Deterministic pseudo-random numbers (mulberry32), so the series are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Demand with a daily shape (busy afternoons), quieter weekends, and +-5% noise. */
function seasonalDemand(hours: number, seed = 7): number[] {
  const next = random(seed);
  return Array.from({ length: hours }, (_, t) => {
    const hour = t % 24;
    const day = Math.floor(t / 24) % 7;
    const daily = 20 + 15 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const weekly = day >= 5 ? 0.6 : 1;
    return Math.round(daily * weekly * (1 + (next() - 0.5) * 0.1) * 10) / 10;
  });
}

describe('Holt-Winters with daily and weekly seasonality', () => {
  it('uses the seasons the history can support', () => {
    expect(seasonalityFor(71, hourly)).toBeUndefined();
    expect(seasonalityFor(72, hourly)).toBe('daily');
    expect(seasonalityFor(359, hourly)).toBe('daily');
    expect(seasonalityFor(360, hourly)).toBe('daily+weekly');
    expect(fit(seasonalDemand(71), hourly)).toBeUndefined();
  });

  it('forecasts a held-out day of seasonal demand within 10% (MAPE)', () => {
    const y = seasonalDemand(24 * 7 * 4);
    const accuracy = holdoutMape(y, hourly, 24, 0.95);
    expect(accuracy).toBeDefined();
    expect(accuracy!).toBeLessThan(10);
  });

  it('learns the weekend dip: a daily-only model does worse on a weekend day', () => {
    // 4 weeks and 5 days: the held-out day is a Saturday
    const y = seasonalDemand(24 * (7 * 4 + 6));
    const both = holdoutMape(y, hourly, 24, 0.95)!;
    const dailyOnly = holdoutMape(y, { daily: 24, weekly: 10_000 }, 24, 0.95)!;
    expect(both).toBeLessThan(dailyOnly);
  });

  it('keeps about 95% of one-step actuals inside the 95% band and puts a spike above it', () => {
    const y = seasonalDemand(24 * 7 * 4);
    const model = fit(y.slice(0, 24 * 7 * 3), hourly)!;
    const spikeAt = 24 * 7 * 3 + 24 * 2 + 14;
    const spiked = [...y];
    spiked[spikeAt] = spiked[spikeAt]! * 2.5;
    const { bands } = filter(spiked, hourly, model, 0.95);
    const judged = bands
      .slice(24 * 7 * 3)
      .map((band, i) => ({ band, actual: spiked[24 * 7 * 3 + i]!, at: 24 * 7 * 3 + i }));
    const outside = judged.filter(({ band, actual }) => actual > band.upper || actual < band.lower);
    expect(outside.length / judged.length).toBeLessThan(0.1);
    expect(outside.map((o) => o.at)).toContain(spikeAt);
    const spikeBand = bands[spikeAt]!;
    expect(spiked[spikeAt]).toBeGreaterThan(spikeBand.upper);
  });

  it('widens the band with the horizon', () => {
    const y = seasonalDemand(24 * 7 * 3);
    const model = fit(y, hourly)!;
    const { state, end } = filter(y, hourly, model, 0.9);
    const ahead = forecastFrom(state, end, hourly, model, 48, 0.9);
    const width = (i: number) => ahead[i]!.upper - ahead[i]!.lower;
    expect(ahead).toHaveLength(48);
    expect(width(47)).toBeGreaterThan(width(0));
    expect(width(0)).toBeCloseTo(2 * 1.6449 * model.sigma, 6);
  });

  it('measures the spread of ordinary errors, not of a spike among them', () => {
    // roughly normal errors (a sum of 12 uniforms), standard deviation 1
    const next = random(3);
    const ordinary = Array.from(
      { length: 500 },
      () => Array.from({ length: 12 }, next).reduce((a, b) => a + b, 0) - 6,
    );
    const rms = Math.sqrt(ordinary.reduce((sum, e) => sum + e * e, 0) / ordinary.length);
    expect(robustSigma(ordinary)).toBeCloseTo(rms, 2);
    expect(robustSigma([...ordinary, 80, 95])).toBeLessThan(rms * 1.1);
  });

  it('scores MAPE in percent and skips zero actuals', () => {
    expect(mape([100, 0, 50], [90, 5, 55])).toBeCloseTo(10, 10);
    expect(mape([0, 0], [1, 2])).toBeUndefined();
  });
});
