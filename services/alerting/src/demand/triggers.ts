// A business trigger watches runs of consecutive intervals that leave the forecast band: a run fires once when it
// reaches `for_intervals`, and not again within the cooldown.
import type { CompiledTrigger } from '../policy/policy.js';
import type { TriggerStateRow } from './forecasts.repository.js';

export interface JudgedInterval {
  bucketStart: Date;
  actual: number;
  lower: number;
  upper: number;
}

export const breaches = (trigger: Pick<CompiledTrigger, 'condition'>, interval: JudgedInterval): boolean =>
  trigger.condition === 'above_upper' ? interval.actual > interval.upper : interval.actual < interval.lower;

export function advanceRun(
  state: TriggerStateRow,
  trigger: Pick<CompiledTrigger, 'condition' | 'forIntervals' | 'cooldownMs'>,
  interval: JudgedInterval,
): { state: TriggerStateRow; fires: boolean } {
  if (!breaches(trigger, interval))
    return {
      state: { run_start: null, run_length: 0, run_fired: false, last_fired_at: state.last_fired_at },
      fires: false,
    };
  const runStart = state.run_length === 0 || !state.run_start ? interval.bucketStart : state.run_start;
  const runLength = state.run_length + 1;
  const cooled =
    !state.last_fired_at ||
    interval.bucketStart.getTime() - state.last_fired_at.getTime() >= trigger.cooldownMs;
  const fires = runLength >= trigger.forIntervals && !state.run_fired && cooled;
  return {
    state: {
      run_start: runStart,
      run_length: runLength,
      run_fired: state.run_fired || fires,
      last_fired_at: fires ? interval.bucketStart : state.last_fired_at,
    },
    fires,
  };
}
