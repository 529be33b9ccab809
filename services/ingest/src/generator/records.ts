// The record shape the generator emits and the builders that move money between wallets, so
// every balance_before/balance_after pair is produced by the one place that changes a balance.
import type { CurrencyCode, TRANSACTION_TYPES } from '@vigil/contracts';
import { formatMinorUnits } from './amounts.js';
import { MARKETS, type CardNetwork, type GeneratedChannel, type MarketRegion } from './markets.js';
import type { Card, Merchant, Wallet } from './population.js';

export const FRAUD_TYPOLOGIES = [
  'account_takeover',
  'card_testing',
  'velocity_spike',
  'mule_fan_in',
  'dormant_reactivation',
  'impossible_geography',
] as const;
export type FraudTypology = (typeof FRAUD_TYPOLOGIES)[number];

export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export interface GeneratedParty {
  account: string;
  balance_before?: string;
  balance_after?: string;
}

export interface GeneratedLabels {
  is_fraud: boolean;
  /** Present exactly when is_fraud is true. */
  typology?: FraudTypology;
}

/**
 * A native transaction input record: `transactionSchema` except that a card payment carries the
 * clear card number, which ingest replaces with a token and last4.
 */
export interface GeneratedRecord {
  transaction_id: string;
  type: TransactionType;
  amount: string;
  currency: CurrencyCode;
  timestamp: string;
  region: MarketRegion;
  channel: GeneratedChannel;
  source: 'generator';
  origin: GeneratedParty;
  destination?: GeneratedParty;
  merchant?: { id: string; name: string; mcc: string; country: string };
  card?: { number: string; holder: string; network: CardNetwork };
  labels: GeneratedLabels;
}

/** Identity and time of a record, fixed when it is emitted. */
export interface RecordStamp {
  transaction_id: string;
  atMs: number;
}

export const legitimate = (): GeneratedLabels => ({ is_fraud: false });
export const fraud = (typology: FraudTypology): GeneratedLabels => ({ is_fraud: true, typology });

/** Wallet-to-wallet moves. CASH_IN follows PaySim: the customer is the origin and gains. */
export type WalletTransferType = 'TRANSFER' | 'CASH_OUT' | 'CASH_IN' | 'DEBIT';

function debit(wallet: Wallet, amount: bigint): void {
  // An overdraft here is a generator bug, not data to emit: balances must stay consistent.
  if (amount <= 0n || wallet.balance < amount) {
    throw new Error(`generator invariant: ${wallet.id} cannot pay ${amount} from ${wallet.balance}`);
  }
  wallet.balance -= amount;
}

function merchantOf(merchant: Merchant): NonNullable<GeneratedRecord['merchant']> {
  return { id: merchant.id, name: merchant.name, mcc: merchant.mcc, country: merchant.region };
}

function base(
  stamp: RecordStamp,
  type: TransactionType,
  region: MarketRegion,
  amount: bigint,
  channel: GeneratedChannel,
) {
  const currency = MARKETS[region].currency;
  return {
    transaction_id: stamp.transaction_id,
    type,
    amount: formatMinorUnits(amount, currency),
    currency,
    timestamp: new Date(stamp.atMs).toISOString(),
    region,
    channel,
    source: 'generator' as const,
  };
}

export function walletTransfer(
  stamp: RecordStamp,
  type: WalletTransferType,
  origin: Wallet,
  destination: Wallet,
  amount: bigint,
  labels: GeneratedLabels,
): GeneratedRecord {
  const currency = MARKETS[origin.region].currency;
  const format = (minor: bigint) => formatMinorUnits(minor, currency);
  const originBefore = origin.balance;
  const destinationBefore = destination.balance;
  if (type === 'CASH_IN') {
    debit(destination, amount);
    origin.balance += amount;
  } else {
    debit(origin, amount);
    destination.balance += amount;
  }
  origin.lastActiveMs = stamp.atMs;
  destination.lastActiveMs = stamp.atMs;
  return {
    ...base(stamp, type, origin.region, amount, 'mobile_money'),
    origin: {
      account: origin.id,
      balance_before: format(originBefore),
      balance_after: format(origin.balance),
    },
    destination: {
      account: destination.id,
      balance_before: format(destinationBefore),
      balance_after: format(destination.balance),
    },
    labels,
  };
}

/** A mobile-money PAYMENT to a merchant; like PaySim, merchant balances are not tracked. */
export function walletPayment(
  stamp: RecordStamp,
  origin: Wallet,
  merchant: Merchant,
  amount: bigint,
  labels: GeneratedLabels,
): GeneratedRecord {
  const currency = MARKETS[origin.region].currency;
  const before = origin.balance;
  debit(origin, amount);
  origin.lastActiveMs = stamp.atMs;
  return {
    ...base(stamp, 'PAYMENT', origin.region, amount, 'mobile_money'),
    origin: {
      account: origin.id,
      balance_before: formatMinorUnits(before, currency),
      balance_after: formatMinorUnits(origin.balance, currency),
    },
    destination: { account: merchant.id },
    merchant: merchantOf(merchant),
    labels,
  };
}

/** A card payment happens where the merchant is, in the merchant's currency. */
export function cardPayment(
  stamp: RecordStamp,
  card: Card,
  merchant: Merchant,
  amount: bigint,
  labels: GeneratedLabels,
): GeneratedRecord {
  return {
    ...base(stamp, 'CARD_PAYMENT', merchant.region, amount, 'card'),
    origin: { account: card.accountId },
    merchant: merchantOf(merchant),
    card: { number: card.number, holder: card.holder, network: card.network },
    labels,
  };
}
