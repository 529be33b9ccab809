// Peak hours: weekly windows in a time zone. Whether one is open at an instant, and when that next changes.
import type { FromSchema } from 'json-schema-to-ts';

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
const clockTime = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;
const floor = {
  type: 'object',
  required: ['minReplicas'],
  additionalProperties: false,
  properties: {
    minReplicas: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      description: "The HPA's minReplicas while a window is open",
    },
  },
} as const;

export const peakScheduleSchema = {
  type: 'object',
  required: ['timeZone', 'windows'],
  additionalProperties: false,
  properties: {
    timeZone: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone, e.g. Africa/Lagos',
    },
    windows: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        required: ['start', 'end'],
        additionalProperties: false,
        properties: {
          days: {
            type: 'array',
            items: { type: 'string', enum: WEEKDAYS },
            uniqueItems: true,
            description: 'Days on which the window opens (default: every day)',
          },
          start: { ...clockTime, description: 'HH:MM local time the window opens' },
          end: { ...clockTime, description: 'HH:MM local time it closes; before start means the next day' },
        },
      },
    },
    validator: floor,
    scorer: floor,
  },
} as const;
export type PeakScheduleSpec = FromSchema<typeof peakScheduleSchema>;

const MINUTE = 60_000;

const formats = new Map<string, Intl.DateTimeFormat>();

/** The weekday and minute of the day at `at` in `timeZone`. */
function localTime(at: Date, timeZone: string): { day: number; minute: number } {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return {
    day: WEEKDAYS.indexOf(part('weekday').toLowerCase() as (typeof WEEKDAYS)[number]),
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

const minuteOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a window of `spec` is open at `at`. A window whose end is before its start runs past midnight. */
export function isPeak(spec: PeakScheduleSpec, at: Date): boolean {
  const { day, minute } = localTime(at, spec.timeZone);
  const yesterday = (day + 6) % 7;
  return spec.windows.some((window) => {
    const start = minuteOf(window.start);
    const end = minuteOf(window.end);
    const days = window.days?.map((d) => WEEKDAYS.indexOf(d));
    const on = (d: number) => !days || days.includes(d);
    if (start < end) return on(day) && minute >= start && minute < end;
    // overnight: the evening part belongs to the day it opened, the morning part to the day before
    return (on(day) && minute >= start) || (on(yesterday) && minute < end);
  });
}

/** The next minute boundary after `at` at which `isPeak` changes; within a week, else undefined. */
export function nextChange(spec: PeakScheduleSpec, at: Date): Date | undefined {
  const now = isPeak(spec, at);
  const first = Math.floor(at.getTime() / MINUTE) * MINUTE + MINUTE;
  for (let t = first; t <= first + 7 * 24 * 60 * MINUTE; t += MINUTE)
    if (isPeak(spec, new Date(t)) !== now) return new Date(t);
  return undefined;
}

/** Throws RangeError for a time zone the runtime does not know. */
export function checkTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
}
