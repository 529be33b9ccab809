import { newTransaction } from '@vigil/testing';
import type { Transaction } from '@vigil/contracts';
import { InMemoryAccountStates, fullFeatures } from './feature-extractor.js';
import { feature } from './features.js';

// the pipeline's record: a partner's carries its partner_id (and its id scoped to it)
const payment = (partnerId: string | undefined): Transaction => {
  const { transaction_id, ...rest } = newTransaction({
    origin: { account: 'C-shared', balance_before: '1000.00', balance_after: '900.00' },
    destination: { account: 'M-shared' },
    amount: '100.00',
  });
  return {
    ...rest,
    transaction_id: partnerId ? `${partnerId}~${transaction_id}` : transaction_id,
    ...(partnerId ? { partner_id: partnerId } : {}),
  } as Transaction;
};

describe('account history is kept per partner', () => {
  it("does not let one partner's traffic shape another partner's features for the same account name", () => {
    const states = new InMemoryAccountStates();
    fullFeatures(payment('partner-a'), states);
    const again = fullFeatures(payment('partner-a'), states);
    expect(feature(again, 'log_history_count')).toBeCloseTo(Math.log1p(1));
    expect(feature(again, 'new_payee')).toBe(0);

    const otherPartner = fullFeatures(payment('partner-b'), states);
    expect(feature(otherPartner, 'log_history_count')).toBe(0);
    expect(feature(otherPartner, 'new_payee')).toBe(1);
    expect(feature(otherPartner, 'dest_log_history_count')).toBe(0);
  });

  it('keeps one history per account name for records without a partner', () => {
    const states = new InMemoryAccountStates();
    fullFeatures(payment(undefined), states);
    expect(feature(fullFeatures(payment(undefined), states), 'log_history_count')).toBeCloseTo(Math.log1p(1));
  });
});
