import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { encodeCursor } from '../http/query.js';
import { parseIdempotencyKey, parseSubmission, parseTransactionFilters } from './transactions.dto.js';

const badRequest = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadRequestException) return error.message;
    throw error;
  }
  throw new Error('expected a BadRequestException');
};

describe('parseTransactionFilters', () => {
  it('defaults the limit and normalises the region', () => {
    expect(parseTransactionFilters({})).toEqual({ limit: 50 });
    expect(
      parseTransactionFilters({ region: 'ng', status: 'scored', min_score: '0.5', limit: '10' }),
    ).toEqual({
      region: 'NG',
      status: 'scored',
      minScore: 0.5,
      limit: 10,
    });
  });

  it('names the parameter that is wrong', () => {
    expect(badRequest(() => parseTransactionFilters({ limit: '0' }))).toMatch(/^limit /);
    expect(badRequest(() => parseTransactionFilters({ limit: '501' }))).toMatch(/^limit /);
    expect(badRequest(() => parseTransactionFilters({ status: 'done' }))).toMatch(/^status /);
    expect(badRequest(() => parseTransactionFilters({ region: 'XX' }))).toMatch(/^region /);
    expect(badRequest(() => parseTransactionFilters({ min_score: '1.5' }))).toMatch(/^min_score /);
    expect(badRequest(() => parseTransactionFilters({ type: 'GIFT' }))).toMatch(/^type /);
    expect(badRequest(() => parseTransactionFilters({ from: 'yesterday' }))).toMatch(/^from /);
    expect(badRequest(() => parseTransactionFilters({ to: '2025-01-01' }))).toMatch(/^to /);
    expect(badRequest(() => parseTransactionFilters({ cursor: 'not-a-cursor' }))).toMatch(/^cursor /);
    expect(badRequest(() => parseTransactionFilters({ status: ['scored', 'valid'] }))).toMatch(/^status /);
    expect(badRequest(() => parseTransactionFilters({ minscore: '0.5' }))).toMatch(
      /unknown query parameter minscore/,
    );
  });

  it('decodes the cursor it issued', () => {
    const cursor = encodeCursor('2025-01-31T10:00:00.123456Z', 'txn-1');
    expect(parseTransactionFilters({ cursor }).cursor).toEqual({
      at: '2025-01-31T10:00:00.123456Z',
      id: 'txn-1',
    });
  });
});

describe('parseSubmission', () => {
  it('takes one record or an array of them', () => {
    expect(parseSubmission({ transaction_id: 'a' })).toEqual({
      records: [{ transaction_id: 'a' }],
      single: true,
    });
    expect(parseSubmission([{ a: 1 }, { b: 2 }]).records).toHaveLength(2);
    expect(parseSubmission([{ a: 1 }]).single).toBe(false);
  });

  it('refuses empty, non-object and oversized bodies', () => {
    expect(badRequest(() => parseSubmission([]))).toMatch(/empty array/);
    expect(badRequest(() => parseSubmission('text'))).toMatch(/JSON transaction object/);
    expect(badRequest(() => parseSubmission([{}, 3]))).toBe('record 1 must be a JSON object');
    expect(() => parseSubmission(Array.from({ length: 1001 }, () => ({})))).toThrow(PayloadTooLargeException);
    expect(() => parseSubmission(Array.from({ length: 1001 }, () => ({})))).toThrow(/NDJSON/);
  });
});

describe('parseIdempotencyKey', () => {
  it('is optional and must be one short visible value', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-42')).toBe('order-42');
    expect(badRequest(() => parseIdempotencyKey('x'.repeat(256)))).toMatch(/^Idempotency-Key/);
    expect(badRequest(() => parseIdempotencyKey(['a', 'b']))).toMatch(/^Idempotency-Key/);
  });

  it('refuses a key holding a card number, without repeating it', () => {
    for (const key of ['order-4111111111111111', 'ref4111-1111-1111-1111', '4111.1111.1111.1111_x']) {
      const message = badRequest(() => parseIdempotencyKey(key));
      expect(message).toMatch(/^Idempotency-Key contains a card number/);
      expect(message).not.toMatch(/1111/);
    }
    expect(parseIdempotencyKey('order-4111111111111112')).toBe('order-4111111111111112');
  });
});
