// Records as a client sends them, with sensible defaults: a test states only what matters to it.
// (test/support/factories.ts has the suite-wide ones; a service may not import across projects.)
import { randomUUID } from 'node:crypto';

export interface TransactionInput {
  transaction_id: string;
  type: string;
  amount: string;
  currency: string;
  timestamp: string;
  region: string;
  channel?: string;
  origin: { account: string; balance_before?: string; balance_after?: string };
  destination?: { account: string; balance_before?: string; balance_after?: string };
  [field: string]: unknown;
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}-${randomUUID().slice(0, 8)}`;

export function newTransaction(overrides: Partial<TransactionInput> = {}): TransactionInput {
  return {
    transaction_id: nextId('t'),
    type: 'PAYMENT',
    amount: '125.50',
    currency: 'NGN',
    timestamp: new Date().toISOString(),
    region: 'NG',
    channel: 'mobile_money',
    origin: { account: nextId('C'), balance_before: '10000.00', balance_after: '9874.50' },
    destination: { account: nextId('M') },
    ...overrides,
  };
}
