import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { parseQuarantineFilters, parseReplayRequest } from './quarantine.dto.js';

const badRequest = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadRequestException) return error.message;
    throw error;
  }
  throw new Error('expected a BadRequestException');
};

describe('parseReplayRequest', () => {
  it('takes ids, with or without a corrected record, and keeps the id on the correction', () => {
    expect(
      parseReplayRequest({
        items: [{ transaction_id: 'a' }, { transaction_id: 'b', record: { currency: 'NGN' } }],
      }),
    ).toEqual([
      { transactionId: 'a' },
      { transactionId: 'b', record: { currency: 'NGN', transaction_id: 'b' } },
    ]);
  });

  it('names what is wrong', () => {
    expect(badRequest(() => parseReplayRequest([]))).toMatch(/\{"items"/);
    expect(badRequest(() => parseReplayRequest({ items: [] }))).toMatch(/items is empty/);
    expect(badRequest(() => parseReplayRequest({ items: [], extra: 1 }))).toMatch(/unknown field extra/);
    expect(
      badRequest(() => parseReplayRequest({ items: [{ transaction_id: 'a' }, { transaction_id: 'a' }] })),
    ).toBe('items[1]: a is named twice');
    expect(badRequest(() => parseReplayRequest({ items: [{ transaction_id: '' }] }))).toMatch(
      /^items\[0\]\.transaction_id/,
    );
    expect(badRequest(() => parseReplayRequest({ items: [{ transaction_id: 'a', record: [] }] }))).toMatch(
      /^items\[0\]\.record must be/,
    );
    expect(
      badRequest(() =>
        parseReplayRequest({ items: [{ transaction_id: 'a', record: { transaction_id: 'b' } }] }),
      ),
    ).toMatch(/keeps its transaction_id a/);
    expect(badRequest(() => parseReplayRequest({ items: [{ transaction_id: 'a', note: 1 }] }))).toMatch(
      /unknown field note/,
    );
    expect(() =>
      parseReplayRequest({ items: Array.from({ length: 1001 }, (_, i) => ({ transaction_id: `t${i}` })) }),
    ).toThrow(PayloadTooLargeException);
  });
});

describe('parseQuarantineFilters', () => {
  it('defaults the limit and checks each filter by name', () => {
    expect(parseQuarantineFilters({ region: 'ke', rule: 'region.currency' })).toEqual({
      limit: 50,
      region: 'KE',
      rule: 'region.currency',
    });
    expect(badRequest(() => parseQuarantineFilters({ region: 'XX' }))).toMatch(/^region /);
    expect(badRequest(() => parseQuarantineFilters({ rule: 'drop table' }))).toMatch(/^rule /);
    expect(badRequest(() => parseQuarantineFilters({ status: 'held' }))).toMatch(
      /unknown query parameter status/,
    );
  });
});
