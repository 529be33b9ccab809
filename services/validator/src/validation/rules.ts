// Cross-field rules over a schema-conforming transaction. Each returns the reasons it finds.
import { fromScaled, toScaled, type Reason, type Transaction } from '@vigil/contracts';
import { CURRENCIES_BY_REGION } from './reference-data.js';

export const BUILTIN_RULE_SET_VERSION = 'builtin-1';

type Rule = (transaction: Transaction) => Reason[];

const positiveAmount: Rule = (t) =>
  toScaled(t.amount) > 0n
    ? []
    : [
        {
          code: 'range.amount',
          field: 'amount',
          message: 'amount must be greater than zero',
          severity: 'error',
        },
      ];

const currencyForRegion: Rule = (t) => {
  const allowed = CURRENCIES_BY_REGION[t.region];
  if (!allowed || allowed.includes(t.currency)) return [];
  return [
    {
      code: 'region.currency',
      field: 'currency',
      message: `currency ${t.currency} is not allowed in region ${t.region} (allowed: ${allowed.join(', ')})`,
      severity: 'error',
    },
  ];
};

const distinctParties: Rule = (t) =>
  t.destination && t.destination.account === t.origin.account
    ? [
        {
          code: 'parties.distinct',
          field: 'destination.account',
          message: 'origin and destination accounts must differ',
          severity: 'error',
        },
      ]
    : [];

const feeWithinAmount: Rule = (t) =>
  t.fee !== undefined && toScaled(t.fee) > toScaled(t.amount)
    ? [{ code: 'range.fee', field: 'fee', message: 'fee must not exceed amount', severity: 'error' }]
    : [];

/**
 * PaySim's balance equations. PaySim breaks them on purpose for fraud, so a break is a warning
 * the scorer uses as a signal, not a reason to hold the record back.
 */
const balanceEquations: Rule = (t) => {
  const reasons: Reason[] = [];
  const amount = toScaled(t.amount);
  const originCredited = t.type === 'CASH_IN';
  const check = (party: 'origin' | 'destination', credited: boolean) => {
    const side = t[party];
    if (side?.balance_before === undefined || side.balance_after === undefined) return;
    const expected = toScaled(side.balance_before) + (credited ? amount : -amount);
    if (expected !== toScaled(side.balance_after)) {
      reasons.push({
        code: `balance.${party}`,
        field: `${party}.balance_after`,
        message: `expected ${fromScaled(expected)} after ${credited ? 'credit' : 'debit'} of ${t.amount}, got ${side.balance_after}`,
        severity: 'warn',
      });
    }
  };
  check('origin', originCredited);
  check('destination', !originCredited);
  return reasons;
};

export const BUILTIN_RULES: readonly Rule[] = [
  positiveAmount,
  currencyForRegion,
  distinctParties,
  feeWithinAmount,
  balanceEquations,
];
