// Prometheus-style durations ("90s", "1h30m", "7d") as milliseconds.
import { DURATION_PATTERN } from '@vigil/contracts';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+)(ms|s|m|h|d|w)/g;

export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) throw new Error(`"${text}" is not a duration (e.g. 30s, 5m, 1h30m, 7d)`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART))
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return total;
}
