import type { TriggerStateRow } from './forecasts.repository.js';
import { advanceRun, type JudgedInterval } from './triggers.js';

const HOUR = 3_600_000;
const trigger = { condition: 'above_upper' as const, forIntervals: 2, cooldownMs: 24 * HOUR };
const fresh: TriggerStateRow = { run_start: null, run_length: 0, run_fired: false, last_fired_at: null };
const start = Date.parse('2026-03-02T00:00:00Z');

/** Intervals from hour 0 on; `true` is demand above the band. */
const intervals = (pattern: boolean[], fromHour = 0): JudgedInterval[] =>
  pattern.map((above, i) => ({
    bucketStart: new Date(start + (fromHour + i) * HOUR),
    actual: above ? 150 : 100,
    lower: 80,
    upper: 120,
  }));

function firings(
  pattern: boolean[],
  state = fresh,
  fromHour = 0,
): { hours: number[]; state: TriggerStateRow } {
  const hours: number[] = [];
  for (const interval of intervals(pattern, fromHour)) {
    const step = advanceRun(state, trigger, interval);
    state = step.state;
    if (step.fires) hours.push((interval.bucketStart.getTime() - start) / HOUR);
  }
  return { hours, state };
}

describe('business trigger runs', () => {
  it('fires once, at the second consecutive interval above the band', () => {
    expect(firings([false, true, true, true, true, false]).hours).toEqual([2]);
  });

  it('does not fire on single intervals above the band', () => {
    expect(firings([true, false, true, false, true, false]).hours).toEqual([]);
  });

  it('stays quiet within the cooldown, then fires for a new run', () => {
    const first = firings([true, true, false]);
    expect(first.hours).toEqual([1]);
    expect(firings([true, true, false], first.state, 10).hours).toEqual([]);
    expect(firings([true, true], first.state, 30).hours).toEqual([31]);
  });

  it('watches the lower band for below_lower', () => {
    const below = { ...trigger, condition: 'below_lower' as const };
    const low: JudgedInterval = { bucketStart: new Date(start), actual: 50, lower: 80, upper: 120 };
    const once = advanceRun(fresh, below, low);
    const twice = advanceRun(once.state, below, { ...low, bucketStart: new Date(start + HOUR) });
    expect([once.fires, twice.fires]).toEqual([false, true]);
  });
});
