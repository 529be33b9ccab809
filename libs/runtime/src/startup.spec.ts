import { DatabaseBusyError } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { retryAtStartup, transientDatabaseError } from './startup.js';

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = { warn: (_fields: unknown, message: string) => warnings.push(message) } as unknown as Logger;
  return { logger, warnings };
}

const coded = (code: string) => Object.assign(new Error(code), { code });

describe('retryAtStartup', () => {
  it('retries a busy pool and a refused connection, then returns what the read gives', async () => {
    const failures = [
      new DatabaseBusyError('pool-exhausted', 'no database connection came free in time'),
      coded('ECONNREFUSED'),
      coded('57P03'),
    ];
    const waits: number[] = [];
    const { logger, warnings } = recordingLogger();
    const read = () => {
      const failure = failures.shift();
      return failure ? Promise.reject(failure) : Promise.resolve('keys');
    };
    const result = await retryAtStartup('signing keys', read, logger, {
      wait: (ms) => Promise.resolve(waits.push(ms)),
    });
    expect(result).toBe('keys');
    expect(warnings).toEqual(Array(3).fill('signing keys failed at start-up; retrying'));
    // the one backoff policy: 250 ms doubling, plus up to half again
    expect(waits.map((ms, i) => ms >= 250 * 2 ** i && ms <= 1.5 * 250 * 2 ** i)).toEqual([true, true, true]);
  });

  it('ends the start at once on a failure a retry cannot mend', async () => {
    const wrong = coded('42P01'); // undefined_table: a migration is missing
    let attempts = 0;
    await expect(
      retryAtStartup(
        'revocation list',
        () => {
          attempts++;
          return Promise.reject(wrong);
        },
        recordingLogger().logger,
        { wait: () => Promise.resolve() },
      ),
    ).rejects.toBe(wrong);
    expect(attempts).toBe(1);
  });

  it('gives up with the last failure once the next wait would pass the deadline', async () => {
    let clock = 0;
    let attempts = 0;
    const busy = new DatabaseBusyError('pool-exhausted', 'no database connection came free in time');
    await expect(
      retryAtStartup(
        'revocation list',
        () => {
          attempts++;
          return Promise.reject(busy);
        },
        recordingLogger().logger,
        { deadlineMs: 10_000, now: () => clock, wait: (ms) => Promise.resolve((clock += ms)) },
      ),
    ).rejects.toBe(busy);
    expect(clock).toBeLessThanOrEqual(10_000);
    expect(attempts).toBeGreaterThanOrEqual(5);
  });
});

describe('transientDatabaseError', () => {
  it('holds for busy and unreachable databases only', () => {
    expect(transientDatabaseError(coded('ECONNRESET'))).toBe(true);
    expect(
      transientDatabaseError(
        Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      ),
    ).toBe(true);
    expect(transientDatabaseError(coded('23505'))).toBe(false);
    expect(transientDatabaseError(new Error('no code'))).toBe(false);
    expect(transientDatabaseError(undefined)).toBe(false);
  });
});
