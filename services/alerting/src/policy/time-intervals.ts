// Active and mute time windows (e.g. business hours in Lagos), as in Alertmanager's time_intervals.
import type { TimeIntervalConfig } from '@vigil/contracts';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** True when the instant falls in at least one of the named interval's entries. */
export type TimeWindow = (at: Date) => boolean;

interface Entry {
  days?: Set<number>;
  ranges?: { from: number; to: number }[];
  zone: Intl.DateTimeFormat;
}

const minutesOf = (clock: string): number => {
  const [hours, minutes] = clock.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
};

function weekdaysOf(ranges: readonly string[]): Set<number> {
  const days = new Set<number>();
  for (const range of ranges) {
    const [first, last = first] = range.split(':') as [string, string?];
    const from = WEEKDAYS.indexOf(first);
    const to = WEEKDAYS.indexOf(last);
    // a range may wrap past Saturday, e.g. friday:monday
    for (let day = from; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === to) break;
    }
  }
  return days;
}

function formatterFor(location: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: location,
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new Error(`unknown time zone "${location}"`);
  }
}

export function compileTimeWindow(name: string, entries: readonly TimeIntervalConfig[]): TimeWindow {
  const compiled: Entry[] = entries.map((entry) => {
    const ranges = entry.times?.map((t) => ({ from: minutesOf(t.start_time), to: minutesOf(t.end_time) }));
    for (const range of ranges ?? [])
      if (range.from >= range.to)
        throw new Error(`time interval "${name}": start_time must be before end_time`);
    return {
      ...(entry.weekdays ? { days: weekdaysOf(entry.weekdays) } : {}),
      ...(ranges ? { ranges } : {}),
      zone: formatterFor(entry.location ?? 'UTC'),
    };
  });
  return (at) =>
    compiled.some((entry) => {
      const parts = Object.fromEntries(entry.zone.formatToParts(at).map((p) => [p.type, p.value]));
      const day = WEEKDAYS.indexOf(String(parts.weekday).toLowerCase());
      const minute = Number(parts.hour) * 60 + Number(parts.minute);
      if (entry.days && !entry.days.has(day)) return false;
      return !entry.ranges || entry.ranges.some((r) => minute >= r.from && minute < r.to);
    });
}
