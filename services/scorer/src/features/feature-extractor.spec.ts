import { newTransaction } from '@vigil/testing';
import type { Transaction } from '@vigil/contracts';
import { InMemoryAccountStates, fullFeatures } from './feature-extractor.js';
import { feature } from './features.js';
import { KnownFraudLabels } from './known-fraud.js';

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

describe('confirmed fraud counts only once it was known', () => {
  const DAY = 86_400_000;
  const at = (ms: number, destination = 'T-1'): Transaction =>
    ({
      ...newTransaction({ destination: { account: destination }, amount: '40.00' }),
      timestamp: new Date(ms).toISOString(),
    }) as Transaction;

  it("gives a terminal's next payment its fraud share only from the label's time on", () => {
    const start = Date.parse('2026-03-02T10:00:00Z');
    const labels = new KnownFraudLabels();
    // a fraud at the terminal on day 0, labelled on day 3
    labels.add({ occurredAt: start, knownAt: start + 3 * DAY, destination: 'T-1' });
    const states = new InMemoryAccountStates();
    fullFeatures(at(start), states, labels);
    const beforeLabel = fullFeatures(at(start + 2 * DAY), states, labels);
    expect(feature(beforeLabel, 'dest_fraud_known_30d')).toBe(0);
    expect(feature(beforeLabel, 'dest_log_hours_since_fraud')).toBe(-1);

    const afterLabel = fullFeatures(at(start + 3 * DAY + 1), states, labels);
    expect(feature(afterLabel, 'dest_fraud_known_30d')).toBe(1);
    expect(feature(afterLabel, 'dest_fraud_known_7d')).toBe(1);
    // two earlier payments at the terminal in the last 7 days, one of them fraud
    expect(feature(afterLabel, 'dest_fraud_share_7d')).toBeCloseTo(1 / 2);
    expect(feature(afterLabel, 'dest_log_hours_since_fraud')).toBeCloseTo(Math.log1p(72), 3);

    // another terminal knows nothing of it
    expect(feature(fullFeatures(at(start + 4 * DAY, 'T-2'), states, labels), 'dest_fraud_known_30d')).toBe(0);
    // a month on, the fraud has left the window
    expect(feature(fullFeatures(at(start + 31 * DAY), states, labels), 'dest_fraud_known_30d')).toBe(0);
  });

  it('reads the time of day and the weekday on the record’s own clock', () => {
    const lagos = { ...at(0), timestamp: '2026-03-07T23:30:00+01:00' } as Transaction; // a Saturday night
    const vector = fullFeatures(lagos, new InMemoryAccountStates());
    expect(feature(vector, 'local_hour')).toBe(23);
    expect(feature(vector, 'weekend_local')).toBe(1);
    expect(feature(vector, 'night_local')).toBe(0);
  });

  it("compares the amount with the card's and the merchant's 30-day means", () => {
    const start = Date.parse('2026-03-02T10:00:00Z');
    const states = new InMemoryAccountStates();
    const card = (ms: number, amount: string): Transaction =>
      ({
        ...newTransaction({ origin: { account: 'C-card' }, destination: { account: 'T-9' }, amount }),
        timestamp: new Date(ms).toISOString(),
      }) as Transaction;
    fullFeatures(card(start, '10.00'), states);
    fullFeatures(card(start + 5 * DAY, '30.00'), states);
    const big = fullFeatures(card(start + 6 * DAY, '100.00'), states);
    expect(feature(big, 'out_count_7d')).toBe(2);
    expect(feature(big, 'out_mean_amount_30d')).toBe(20);
    expect(feature(big, 'amount_over_mean_30d')).toBe(5);
    expect(feature(big, 'dest_count_30d')).toBe(2);
    expect(feature(big, 'amount_over_dest_mean_30d')).toBe(5);
    // day buckets: the payment of day 0 is outside the 1-day and inside the 7-day window of day 6
    expect(feature(big, 'dest_count_1d')).toBe(0);
    expect(feature(big, 'dest_count_7d')).toBe(2);
  });
});
