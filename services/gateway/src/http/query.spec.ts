// Query parameters refused or normalised before they reach PostgreSQL or Date arithmetic.
import { parseComparisonQuery } from '../models/models.dto.js';
import { InvalidParameterException } from './problem.js';
import { checkRange, timestampOf } from './query.js';

describe('timestampOf', () => {
  it('takes the RFC 3339 space separator and hands on a timestamp Date.parse reads', () => {
    const from = timestampOf({ from: '0013-09-02 17:04:03.5z' }, 'from')!;
    expect(Number.isNaN(Date.parse(from))).toBe(false);
    expect(new Date(from).toISOString()).toBe('0013-09-02T17:04:03.500Z');
  });

  it('refuses a year 0000, a February 30th and an offset past 15:59, naming the parameter', () => {
    for (const value of ['0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00+16:00'])
      expect(() => timestampOf({ to: value }, 'to')).toThrow(InvalidParameterException);
    // the same bound a record's timestamps have: what PostgreSQL stores
    expect(timestampOf({ to: '2026-01-01T00:00:00+15:59' }, 'to')).toBe('2026-01-01T00:00:00+15:59');
  });

  it('lets checkRange compare timestamps written with a space', () => {
    const from = timestampOf({ from: '2026-01-02 00:00:00Z' }, 'from');
    const to = timestampOf({ to: '2026-01-01T00:00:00Z' }, 'to');
    expect(() => checkRange(from, to)).toThrow('from must be earlier than to');
  });
});

describe('parseComparisonQuery', () => {
  it('reads a window written with spaces as real dates, and refuses one in the wrong order', () => {
    const window = parseComparisonQuery({
      from: '2026-01-01 00:00:00Z',
      to: '2026-01-02 00:00:00Z',
      budget: '10',
    });
    expect(window.from.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(() =>
      parseComparisonQuery({ from: '2020-06-29T21:27:58.917Z', to: '0013-09-02 17:04:03.5z' }),
    ).toThrow(InvalidParameterException);
  });
});
