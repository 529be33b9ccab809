import { RpcException } from '@nestjs/microservices';
import { backoffMs } from './backoff.js';
import {
  PermanentError,
  StreamFullError,
  TransientError,
  describeFailure,
  isDependencyUnavailable,
} from './errors.js';

describe('backoffMs', () => {
  it('starts at 250 ms after the first delivery and doubles with each one', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n))).toEqual([250, 500, 1_000, 2_000, 4_000]);
  });

  it('never waits longer than 30 s', () => {
    expect(backoffMs(8)).toBe(30_000);
    expect(backoffMs(1_000)).toBe(30_000);
  });

  it('treats a missing or zero delivery count as the first delivery', () => {
    expect(backoffMs(0)).toBe(250);
  });

  it('takes another base and cap, for the publisher and the webhook dispatcher', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, { baseMs: 100, capMs: 2_000 }))).toEqual([
      100, 200, 400, 800, 1_600, 2_000,
    ]);
    expect(backoffMs(Number.MAX_SAFE_INTEGER, { baseMs: 1_000, capMs: 3_600_000 })).toBe(3_600_000);
  });

  it('adds up to the jitter fraction of the wait at random', () => {
    const policy = { baseMs: 1_000, capMs: 300_000, jitter: 0.1 };
    expect(backoffMs(3, policy, () => 0)).toBe(4_000);
    expect(backoffMs(3, policy, () => 0.5)).toBe(4_200);
    expect(backoffMs(20, policy, () => 0.999)).toBeCloseTo(329_970);
  });
});

describe('describeFailure', () => {
  it('recognises a PermanentError, thrown or as the plain object Nest turns it into', () => {
    const error = new PermanentError('amount is negative');
    const failure = { kind: 'permanent', message: 'amount is negative', status: 400 };
    expect(describeFailure(error)).toEqual(failure);
    expect(describeFailure(error.getError())).toEqual(failure);
    expect(describeFailure(new PermanentError('key reused', 409))).toMatchObject({ status: 409 });
  });

  it('treats a TransientError, a plain Error and anything else as transient, keeping the message', () => {
    expect(describeFailure(new TransientError('db away'))).toEqual({ kind: 'transient', message: 'db away' });
    expect(describeFailure(new Error('socket hang up'))).toEqual({
      kind: 'transient',
      message: 'socket hang up',
    });
    expect(describeFailure('boom')).toEqual({ kind: 'transient', message: 'boom' });
    expect(describeFailure(new RpcException('rpc failed'))).toEqual({
      kind: 'transient',
      message: 'rpc failed',
    });
  });

  it('treats a Postgres data exception (SQLSTATE class 22) as permanent, and a lost connection as transient', () => {
    const refused = Object.assign(new Error('time zone displacement out of range'), { code: '22009' });
    expect(describeFailure(refused)).toEqual({
      kind: 'permanent',
      message: 'database refused a value: time zone displacement out of range [SQLSTATE 22009]',
    });
    const lost = Object.assign(new Error('terminating connection'), { code: '57P01' });
    expect(describeFailure(lost)).toEqual({ kind: 'transient', message: 'terminating connection' });
  });
});

describe('isDependencyUnavailable', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('recognises PostgreSQL away, starting, stalled or busy, NATS away and a full stream', () => {
    for (const error of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('08006'),
      pgError('53300', 'sorry, too many clients already'),
      pgError('57014', 'canceling statement due to statement timeout'),
      pgError('55P03'),
      pgError('40P01'),
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      // pg, querying a client whose connection was cut under it
      new Error('Client has encountered a connection error and is not queryable'),
      Object.assign(new Error('request timed out'), { name: 'TimeoutError' }),
      // what @vigil/db's Database throws when its pool has no connection free within the acquire deadline
      Object.assign(new Error('no database connection came free in time'), { name: 'DatabaseBusyError' }),
      new StreamFullError('txn.accepted.NG: maximum bytes exceeded'),
      new Error('commit failed', { cause: pgError('57P01') }),
    ])
      expect([error.message, isDependencyUnavailable(error)]).toEqual([error.message, true]);
  });

  it('leaves failures of the message itself, and unknown ones, to the delivery limit', () => {
    for (const error of [
      pgError('22P05', 'unsupported Unicode escape sequence'),
      pgError('23505', 'duplicate key value violates unique constraint'),
      pgError('42P01', 'relation does not exist'),
      new TransientError('greeting store is away'),
      new Error('something else'),
      'a string',
      null,
    ])
      expect(isDependencyUnavailable(error)).toBe(false);
  });
});
