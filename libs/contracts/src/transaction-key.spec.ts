import {
  isTransactionId,
  isTransactionKey,
  parseTransactionKey,
  submittedTransactionId,
  transactionKey,
} from './transaction-key.js';

describe('transaction keys: ids unique per partner', () => {
  it('scopes a partner submission to the partner and leaves a record without one as it is', () => {
    expect(transactionKey('partner-a', 'tx-1')).toBe('partner-a~tx-1');
    expect(transactionKey(undefined, 'tx-1')).toBe('tx-1');
    expect(transactionKey(null, 'tx-1')).toBe('tx-1');
    expect(transactionKey('partner-a', 'tx-1')).not.toBe(transactionKey('partner-b', 'tx-1'));
  });

  it('parses a key back into partner and the id the partner sent', () => {
    expect(parseTransactionKey('partner-a~tx-1')).toEqual({ partnerId: 'partner-a', transactionId: 'tx-1' });
    expect(parseTransactionKey('tx-1')).toEqual({ partnerId: null, transactionId: 'tx-1' });
    // the public id has no ~, so a partner id containing one still splits right
    expect(parseTransactionKey('odd~partner~tx:1')).toEqual({
      partnerId: 'odd~partner',
      transactionId: 'tx:1',
    });
    expect(submittedTransactionId('partner-b~ps-0123')).toBe('ps-0123');
  });

  it('keeps the public id pattern: a client cannot send a key, the pipeline accepts both', () => {
    expect(isTransactionId('tx-1:a.b_c')).toBe(true);
    expect(isTransactionId('partner-a~tx-1')).toBe(false);
    expect(isTransactionKey('partner-a~tx-1')).toBe(true);
    expect(isTransactionKey('tx-1')).toBe(true);
    expect(isTransactionKey('partner-a~')).toBe(false);
    expect(isTransactionKey('~tx-1')).toBe(false);
    expect(isTransactionKey('odd~partner~tx-1')).toBe(true);
    expect(isTransactionKey('partner-a~tx~1')).toBe(true); // partner 'partner-a~tx', id '1': split at the last ~
  });
});
