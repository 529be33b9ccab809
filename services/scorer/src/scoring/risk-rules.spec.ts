import type { Reason, Transaction } from '@vigil/contracts';
import { scoreTransaction } from './risk-rules.js';

const newTransaction = (overrides: Partial<Transaction> = {}): Transaction => ({
  transaction_id: 't-1',
  type: 'PAYMENT',
  amount: '100.00',
  currency: 'KES',
  timestamp: '2026-01-01T00:00:00Z',
  region: 'KE',
  origin: { account: 'C1', balance_before: '1000.00', balance_after: '900.00' },
  destination: { account: 'M1' },
  ...overrides,
});
const destinationWarning: Reason = { code: 'balance.destination', message: 'x', severity: 'warn' };

describe('scoreTransaction', () => {
  it('scores an ordinary payment with no reasons', () => {
    expect(scoreTransaction(newTransaction(), [], {})).toEqual({ score: 0, reasons: [] });
  });

  it('flags a TRANSFER that empties the account into a destination whose balance does not move', () => {
    const transfer = newTransaction({
      type: 'TRANSFER',
      amount: '181.00',
      origin: { account: 'C1', balance_before: '181.00', balance_after: '0' },
      destination: { account: 'C2', balance_before: '0', balance_after: '0' },
    });
    const result = scoreTransaction(transfer, [destinationWarning], {});
    expect(result.reasons.map((r) => r.code)).toEqual(['EMPTIES_ACCOUNT', 'BALANCE_ERROR_DEST']);
    expect(result.score).toBeCloseTo(0.725, 4);
  });

  it('scores the CASH_OUT of a just-received transfer above the alert threshold', () => {
    const cashOut = newTransaction({
      type: 'CASH_OUT',
      amount: '181.00',
      origin: { account: 'C2', balance_before: '181.00', balance_after: '0' },
    });
    const result = scoreTransaction(cashOut, [], { matchingInboundTransfer: { transactionId: 't-0' } });
    expect(result.reasons.map((r) => r.code)).toContain('TRANSFER_THEN_CASH_OUT');
    expect(result.score).toBeGreaterThanOrEqual(0.8);
  });

  it('alerts on a pass-through cash-out even when the mule account keeps a balance', () => {
    const cashOut = newTransaction({
      type: 'CASH_OUT',
      amount: '7275.32',
      origin: { account: 'C2', balance_before: '7537.46', balance_after: '262.14' },
    });
    const result = scoreTransaction(cashOut, [], { matchingInboundTransfer: { transactionId: 't-0' } });
    expect(result.reasons.map((r) => r.code)).toEqual(['TRANSFER_THEN_CASH_OUT']);
    expect(result.score).toBeGreaterThanOrEqual(0.8);
  });

  it('does not treat a CASH_IN as draining', () => {
    const cashIn = newTransaction({
      type: 'CASH_IN',
      origin: { account: 'C1', balance_before: '100', balance_after: '200' },
    });
    expect(scoreTransaction(cashIn, [], {}).reasons).toEqual([]);
  });
});
