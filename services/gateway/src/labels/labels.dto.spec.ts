import { ProblemException } from '../http/problem.js';
import { parseLabelRequest } from './labels.dto.js';

const problemFrom = (fn: () => unknown): { status: number; detail: string; errors?: unknown[] } => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProblemException)
      return error.getResponse() as { status: number; detail: string; errors?: unknown[] };
    throw error;
  }
  throw new Error('expected a ProblemException');
};

describe('parseLabelRequest', () => {
  it('takes items with a label, an optional source and note', () => {
    expect(
      parseLabelRequest({
        items: [
          { transaction_id: 'partner-a~tx-1', label: 'fraud', source: 'chargeback', note: 'disputed' },
          { transaction_id: 'tx-2', label: 'legitimate' },
        ],
      }),
    ).toEqual([
      { transactionId: 'partner-a~tx-1', label: 'fraud', source: 'chargeback', note: 'disputed' },
      { transactionId: 'tx-2', label: 'legitimate' },
    ]);
  });

  it('takes when a label from history became known, in UTC, and refuses one in the future or not a time', () => {
    expect(
      parseLabelRequest({
        items: [{ transaction_id: 'tx-1', label: 'fraud', labelled_at: '2026-01-08T10:30:00+01:00' }],
      }),
    ).toEqual([{ transactionId: 'tx-1', label: 'fraud', labelledAt: '2026-01-08T09:30:00.000Z' }]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const problem = problemFrom(() =>
      parseLabelRequest({
        items: [
          { transaction_id: 'tx-1', label: 'fraud', labelled_at: tomorrow },
          { transaction_id: 'tx-2', label: 'fraud', labelled_at: '8 Jan 2026' },
        ],
      }),
    );
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([
      {
        pointer: '/items/0/labelled_at',
        detail: 'items[0].labelled_at is in the future; a label is known when it is given',
      },
      {
        pointer: '/items/1/labelled_at',
        detail: 'items[1].labelled_at must be an RFC 3339 date-time such as 2026-01-08T09:30:00Z',
      },
    ]);
  });

  it('refuses a body that is not {"items": [...]}', () => {
    expect(problemFrom(() => parseLabelRequest([{ transaction_id: 'a', label: 'fraud' }])).status).toBe(400);
    expect(problemFrom(() => parseLabelRequest({ items: [], extra: 1 })).detail).toMatch(
      /unknown field extra/,
    );
    expect(problemFrom(() => parseLabelRequest({ items: 'x' })).detail).toBe(
      'items must be an array of labels',
    );
  });

  it('names every invalid item and field', () => {
    const problem = problemFrom(() =>
      parseLabelRequest({
        items: [
          'fraud',
          { transaction_id: 'bad id', label: 'fraud' },
          { transaction_id: 'tx-3', label: 'fraud', source: 'rumour', note: 'x'.repeat(2001) },
        ],
      }),
    );
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([
      { pointer: '/items/0', detail: 'items[0] must be an object with transaction_id and label' },
      { pointer: '/items/1/transaction_id', detail: 'items[1].transaction_id must be a transaction id' },
      {
        pointer: '/items/2/source',
        detail: expect.stringMatching(/^items\[2\]\.source must be one of analyst/),
      },
      { pointer: '/items/2/note', detail: 'items[2].note must be a string of at most 2000 characters' },
    ]);
    expect(problem.detail).toMatch(/\(and 3 more invalid fields\)$/);
  });

  it('answers 413 past 1,000 items', () => {
    const items = Array.from({ length: 1001 }, (_, i) => ({ transaction_id: `t-${i}`, label: 'fraud' }));
    expect(problemFrom(() => parseLabelRequest({ items })).status).toBe(413);
    expect(parseLabelRequest({ items: items.slice(0, 1000) })).toHaveLength(1000);
  });
});
