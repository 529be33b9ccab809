// The first, rule-based risk model: independent signals with weights, combined as 1 - Π(1 - weight).
import { toScaled, type Reason, type Transaction } from '@vigil/contracts';

export const MODEL_VERSION = 'rules-1';

/** What the scorer remembers about the origin account when the transaction arrives. */
export interface AccountContext {
  /** A transfer into the origin account of this very amount, recently: the mule half of an account takeover. */
  matchingInboundTransfer?: { transactionId: string };
}

/** Signal weights: how strongly each alone suggests fraud. */
export const SIGNALS = {
  // an exact-amount cash-out of money just received by transfer is the account-takeover signature: alert on it alone
  TRANSFER_THEN_CASH_OUT: 0.85,
  EMPTIES_ACCOUNT: 0.5,
  BALANCE_ERROR_DEST: 0.45,
  BALANCE_ERROR_ORIG: 0.3,
  AMOUNT_EXCEEDS_BALANCE: 0.3,
  LARGE_AMOUNT: 0.15,
} as const;

export type Signal = keyof typeof SIGNALS;

const MONEY_OUT = new Set<Transaction['type']>(['TRANSFER', 'CASH_OUT', 'PAYMENT', 'DEBIT', 'CARD_PAYMENT']);
const LARGE_AMOUNT = toScaled('200000');

export interface RiskScore {
  score: number;
  reasons: Reason[];
}

export function scoreTransaction(
  transaction: Transaction,
  warnings: readonly Reason[],
  account: AccountContext,
): RiskScore {
  const reasons: Reason[] = [];
  const hit = (signal: Signal, field: string | undefined, message: string) =>
    reasons.push({ code: signal, ...(field ? { field } : {}), message, weight: SIGNALS[signal] });

  const amount = toScaled(transaction.amount);
  const before =
    transaction.origin.balance_before === undefined ? undefined : toScaled(transaction.origin.balance_before);
  const after =
    transaction.origin.balance_after === undefined ? undefined : toScaled(transaction.origin.balance_after);
  const drains = transaction.type === 'TRANSFER' || transaction.type === 'CASH_OUT';

  if (transaction.type === 'CASH_OUT' && account.matchingInboundTransfer) {
    hit(
      'TRANSFER_THEN_CASH_OUT',
      'origin.account',
      `cash-out of a transfer just received (${account.matchingInboundTransfer.transactionId})`,
    );
  }
  if (drains && before !== undefined && before > 0n && amount >= before && after === 0n) {
    hit('EMPTIES_ACCOUNT', 'amount', 'moves the whole balance out of the account');
  }
  if (MONEY_OUT.has(transaction.type) && before !== undefined && amount > before) {
    hit('AMOUNT_EXCEEDS_BALANCE', 'amount', 'amount is more than the balance before it');
  }
  if (drains && warnings.some((w) => w.code === 'balance.destination')) {
    hit('BALANCE_ERROR_DEST', 'destination.balance_after', 'destination balance did not move by the amount');
  }
  if (warnings.some((w) => w.code === 'balance.origin')) {
    hit('BALANCE_ERROR_ORIG', 'origin.balance_after', 'origin balance did not move by the amount');
  }
  if (amount >= LARGE_AMOUNT) hit('LARGE_AMOUNT', 'amount', 'amount is unusually large');

  const clean = reasons.reduce((p, r) => p * (1 - (r.weight ?? 0)), 1);
  return { score: Math.round((1 - clean) * 10_000) / 10_000, reasons };
}
