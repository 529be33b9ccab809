// Factories with sensible defaults: a test states only what matters to it.
import { randomUUID } from 'node:crypto';
import { fromScaled, toScaled } from '@vigil/contracts';

let counter = 0;
// letters between the parts: digits joined by '-' into 13 or more could pass the Luhn check and read as a card number
const nextId = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-n${++counter}-u${randomUUID().slice(0, 8)}`;

export interface TransactionInput {
  transaction_id: string;
  type: string;
  amount?: string;
  currency: string;
  timestamp: string;
  region: string;
  channel?: string;
  origin: { account: string; balance_before?: string; balance_after?: string };
  destination?: { account: string; balance_before?: string; balance_after?: string };
  card?: Record<string, unknown>;
  merchant?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A consistent payment: unless overridden, the origin's balance moves by exactly the amount. */
export function newTransaction(overrides: Partial<TransactionInput> = {}): TransactionInput {
  const amount = typeof overrides.amount === 'string' ? overrides.amount : '125.50';
  const before = '1000000.00';
  // a test about a malformed amount still gets a record; its balances simply stay as they are
  const after = /^\d+(\.\d{1,4})?$/.test(amount) ? fromScaled(toScaled(before) - toScaled(amount)) : before;
  return {
    transaction_id: nextId('t'),
    type: 'PAYMENT',
    amount,
    currency: 'NGN',
    timestamp: new Date().toISOString(),
    region: 'NG',
    channel: 'mobile_money',
    origin: {
      account: nextId('C'),
      balance_before: before,
      balance_after: after,
    },
    destination: { account: nextId('M') },
    ...overrides,
  };
}

/** The PaySim account-takeover shape: a TRANSFER that empties the victim into a mule, then the mule's CASH_OUT. */
export function newAccountTakeover(amount = '181000.00'): [TransactionInput, TransactionInput] {
  const victim = nextId('C-victim');
  const mule = nextId('C-mule');
  const start = Date.now() - 60_000;
  return [
    newTransaction({
      type: 'TRANSFER',
      amount,
      currency: 'KES',
      region: 'KE',
      timestamp: new Date(start).toISOString(),
      origin: { account: victim, balance_before: amount, balance_after: '0' },
      destination: { account: mule, balance_before: '0', balance_after: '0' },
    }),
    newTransaction({
      type: 'CASH_OUT',
      amount,
      currency: 'KES',
      region: 'KE',
      timestamp: new Date(start + 30_000).toISOString(),
      origin: { account: mule, balance_before: amount, balance_after: '0' },
      destination: { account: nextId('C-agent'), balance_before: '0', balance_after: amount },
    }),
  ];
}
