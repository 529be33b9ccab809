import { isPeak, nextChange, type PeakScheduleSpec } from './peak-schedule.js';

const lagos: PeakScheduleSpec = {
  timeZone: 'Africa/Lagos', // UTC+1, no daylight saving
  windows: [
    { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], start: '08:00', end: '10:00' },
    { days: ['friday'], start: '22:00', end: '02:00' },
  ],
  scorer: { minReplicas: 6 },
};

describe('peak windows', () => {
  it('is open between start and end in the schedule time zone, on its days', () => {
    expect(isPeak(lagos, new Date('2026-12-07T07:30:00Z'))).toBe(true); // Monday 08:30 in Lagos
    expect(isPeak(lagos, new Date('2026-12-07T06:59:00Z'))).toBe(false); // Monday 07:59
    expect(isPeak(lagos, new Date('2026-12-07T09:00:00Z'))).toBe(false); // Monday 10:00: end is exclusive
    expect(isPeak(lagos, new Date('2026-12-12T07:30:00Z'))).toBe(false); // Saturday 08:30
  });

  it('runs an overnight window into the next day', () => {
    expect(isPeak(lagos, new Date('2026-12-11T21:30:00Z'))).toBe(true); // Friday 22:30
    expect(isPeak(lagos, new Date('2026-12-12T00:30:00Z'))).toBe(true); // Saturday 01:30
    expect(isPeak(lagos, new Date('2026-12-13T00:30:00Z'))).toBe(false); // Sunday 01:30
  });

  it('names the minute the schedule next opens or closes', () => {
    expect(nextChange(lagos, new Date('2026-12-07T06:15:20Z'))).toEqual(new Date('2026-12-07T07:00:00Z'));
    expect(nextChange(lagos, new Date('2026-12-07T07:15:00Z'))).toEqual(new Date('2026-12-07T09:00:00Z'));
  });
});
