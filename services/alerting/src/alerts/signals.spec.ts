import type { TransactionScored } from '@vigil/contracts';
import { newTransaction } from '@vigil/testing';
import { fingerprintOf, fraudSignal } from './signals.js';

const scored = (partnerId?: string): TransactionScored => {
  const t = newTransaction({ origin: { account: 'C-shared' } });
  return {
    transaction: {
      ...t,
      transaction_id: partnerId ? `${partnerId}~${t.transaction_id}` : t.transaction_id,
      ...(partnerId ? { partner_id: partnerId } : {}),
    },
    score: 0.97,
    reasons: [],
    scored_at: new Date().toISOString(),
    model_version: 'test',
    decision: 'block',
    policy_version: 1,
  } as TransactionScored;
};

describe('fraud alerts per partner', () => {
  it("raises separate alerts for two partners' accounts of the same name", () => {
    const a = fraudSignal(scored('partner-a'), 0.8)!;
    const b = fraudSignal(scored('partner-b'), 0.8)!;
    expect(a.labels).toEqual({
      alertname: 'HighRiskTransaction',
      region: 'NG',
      account: 'C-shared',
      partner_id: 'partner-a',
    });
    expect(fingerprintOf(a.labels)).not.toBe(fingerprintOf(b.labels));
    expect(a.partnerId).toBe('partner-a');
  });

  it('keeps the labels of a record without a partner', () => {
    expect(fraudSignal(scored(), 0.8)!.labels).toEqual({
      alertname: 'HighRiskTransaction',
      region: 'NG',
      account: 'C-shared',
    });
  });
});
