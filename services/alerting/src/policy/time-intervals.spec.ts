import { compileTimeWindow } from './time-intervals.js';

describe('time windows', () => {
  const businessHoursLagos = compileTimeWindow('business-hours', [
    {
      weekdays: ['monday:friday'],
      times: [{ start_time: '09:00', end_time: '17:00' }],
      location: 'Africa/Lagos',
    },
  ]);

  it('follows the location: 09:00 in Lagos (UTC+1) is 08:00 UTC', () => {
    // 2026-03-02 is a Monday
    expect(businessHoursLagos(new Date('2026-03-02T07:59:00Z'))).toBe(false);
    expect(businessHoursLagos(new Date('2026-03-02T08:00:00Z'))).toBe(true);
    expect(businessHoursLagos(new Date('2026-03-02T15:59:00Z'))).toBe(true);
    expect(businessHoursLagos(new Date('2026-03-02T16:00:00Z'))).toBe(false);
  });

  it('is closed at weekends', () => {
    expect(businessHoursLagos(new Date('2026-03-07T10:00:00Z'))).toBe(false);
    expect(businessHoursLagos(new Date('2026-03-08T10:00:00Z'))).toBe(false);
  });

  it('takes weekday ranges that wrap past Saturday, and any entry may match', () => {
    const window = compileTimeWindow('weekend-nights', [
      { weekdays: ['friday:monday'], times: [{ start_time: '22:00', end_time: '24:00' }] },
      { weekdays: ['wednesday'] },
    ]);
    expect(window(new Date('2026-03-08T23:00:00Z'))).toBe(true); // Sunday
    expect(window(new Date('2026-03-09T23:00:00Z'))).toBe(true); // Monday
    expect(window(new Date('2026-03-10T23:00:00Z'))).toBe(false); // Tuesday
    expect(window(new Date('2026-03-11T03:00:00Z'))).toBe(true); // Wednesday, any time
  });

  it('refuses an unknown zone and an empty time range, naming them', () => {
    expect(() => compileTimeWindow('x', [{ location: 'Mars/Olympus' }])).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
    expect(() => compileTimeWindow('x', [{ times: [{ start_time: '10:00', end_time: '09:00' }] }])).toThrow(
      'time interval "x": start_time must be before end_time',
    );
  });
});
