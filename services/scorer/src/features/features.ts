// The feature vector the model and rules see: what the transaction says about itself (amount, balances, the
// local time of day), what its origin's history says (the paying account or card: spending windows of an hour
// to 30 days, amount against its own history, payees, inbound money, confirmed fraud) and what its
// destination's history says (the payee, merchant or terminal: fan-in, volume windows, confirmed fraud).
// Training and online scoring both build it here, so the model never sees features computed another way.
import { CURRENCY_CODES, type Transaction } from '@vigil/contracts';
import { createHash } from 'node:crypto';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  amountOf,
  dayWindow,
  eventTimeOf,
  type AccountState,
} from './account-state.js';
import { fraudSeen, type FraudLabel } from './known-fraud.js';

/** Feature names in vector order; a model artifact records the list it was trained on. */
export const FEATURE_NAMES = [
  'type_code',
  'currency_code',
  'log_amount',
  'drain_ratio',
  'empties_account',
  'balance_error_orig',
  'balance_error_dest',
  'dest_balance_unchanged',
  'out_count_1m',
  'out_count_1h',
  'out_count_24h',
  'out_log_sum_1h',
  'distinct_payees_1h',
  'log_seconds_since_last_out',
  'log_history_count',
  'amount_zscore',
  'new_payee',
  'inbound_count_24h',
  'inbound_senders_24h',
  'inbound_same_amount_24h',
  'amount_over_inbound_24h',
  'log_seconds_since_inbound',
  'country_changed',
  'log_minutes_since_country',
  'countries_1h',
  'log_inbound_ever',
  'cash_out_share',
  'dest_inbound_senders_24h',
  'dest_inbound_count_1h',
  'dest_log_history_count',
  'dest_log_inbound_ever',
  'dest_cash_out_share',
  'local_hour',
  'weekend_local',
  'night_local',
  'out_mean_amount_24h',
  'out_count_7d',
  'out_mean_amount_7d',
  'out_count_30d',
  'out_mean_amount_30d',
  'amount_over_mean_30d',
  'origin_fraud_known_30d',
  'origin_log_hours_since_fraud',
  'dest_count_1d',
  'dest_count_7d',
  'dest_count_30d',
  'dest_mean_amount_30d',
  'amount_over_dest_mean_30d',
  'dest_fraud_known_7d',
  'dest_fraud_known_30d',
  'dest_fraud_share_7d',
  'dest_fraud_share_30d',
  'dest_log_hours_since_fraud',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Names the list: stored vectors say which list they follow, so a later build can still read them. */
export const FEATURE_SET = `fs-${createHash('sha256').update(FEATURE_NAMES.join(',')).digest('hex').slice(0, 12)}`;
export type FeatureVector = Float64Array;

/** Stands for "not applicable / unknown"; trees learn their own split for it. */
export const MISSING = -1;

const INDEX = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, i])) as Record<FeatureName, number>;
const CURRENCY_INDEX = new Map<string, number>(CURRENCY_CODES.map((code, i) => [code, i]));
const TYPE_CODES: Record<Transaction['type'], number> = {
  TRANSFER: 0,
  CASH_OUT: 1,
  PAYMENT: 2,
  CARD_PAYMENT: 3,
  CASH_IN: 4,
  DEBIT: 5,
  REFUND: 6,
};

export const newFeatureVector = (): FeatureVector => new Float64Array(FEATURE_NAMES.length).fill(MISSING);

export function feature(vector: FeatureVector, name: FeatureName): number {
  return vector[INDEX[name]]!;
}

/** Features as a plain object, for CEL rules and explanations. */
export function featureRecord(vector: FeatureVector): Record<FeatureName, number> {
  return Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, vector[i]!])) as Record<
    FeatureName,
    number
  >;
}

const logSeconds = (ms: number): number => Math.log1p(Math.max(ms, 0) / 1000);
const num = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value);

/** Relative size of a balance equation's error: 0 when the balances moved by exactly the amount. */
function relativeError(error: number, amount: number): number {
  return Math.min(Math.abs(error) / Math.max(amount, 1), 10);
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/;

/** The hour and weekday on the record's own clock: its timestamp's offset is where the payment happened. */
export function localTimeOf(timestamp: string): { hour: number; weekday: number } | undefined {
  const parts = LOCAL_TIME.exec(timestamp);
  if (!parts) return undefined;
  const weekday = new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3]))).getUTCDay();
  return { hour: Number(parts[4]), weekday };
}

const logHours = (ms: number): number => Math.log1p(Math.max(ms, 0) / HOUR_MS);

/** What the record alone says. */
export function transactionFeatures(transaction: Transaction, vector: FeatureVector): void {
  const amount = amountOf(transaction);
  vector[INDEX.type_code] = TYPE_CODES[transaction.type];
  // amounts are in the transaction's currency: the trees learn each currency's scale from its code
  vector[INDEX.currency_code] = CURRENCY_INDEX.get(transaction.currency) ?? MISSING;
  vector[INDEX.log_amount] = Math.log1p(amount);
  const local = localTimeOf(transaction.timestamp);
  if (local) {
    vector[INDEX.local_hour] = local.hour;
    vector[INDEX.weekend_local] = local.weekday === 0 || local.weekday === 6 ? 1 : 0;
    vector[INDEX.night_local] = local.hour <= 6 ? 1 : 0;
  }
  const before = num(transaction.origin.balance_before);
  const after = num(transaction.origin.balance_after);
  if (before !== undefined) vector[INDEX.drain_ratio] = before > 0 ? Math.min(amount / before, 10) : 10;
  if (before !== undefined && after !== undefined) {
    vector[INDEX.empties_account] = before > 0 && after === 0 ? 1 : 0;
    const moneyIn = transaction.type === 'CASH_IN' || transaction.type === 'REFUND';
    vector[INDEX.balance_error_orig] = relativeError(
      moneyIn ? before + amount - after : before - amount - after,
      amount,
    );
  }
  const destBefore = num(transaction.destination?.balance_before);
  const destAfter = num(transaction.destination?.balance_after);
  if (destBefore !== undefined && destAfter !== undefined) {
    vector[INDEX.balance_error_dest] = relativeError(destBefore + amount - destAfter, amount);
    vector[INDEX.dest_balance_unchanged] = destBefore === destAfter ? 1 : 0;
  }
}

/** What the origin account's history says, as of just before this transaction. */
export function originFeatures(
  transaction: Transaction,
  state: AccountState,
  vector: FeatureVector,
  fraud: readonly FraudLabel[] = [],
): void {
  const at = eventTimeOf(transaction);
  const amount = amountOf(transaction);
  let count1m = 0;
  let count1h = 0;
  let count24h = 0;
  let sum24h = 0;
  let sum1h = 0;
  const payees1h = new Set<string>();
  for (const [t, value, payee] of state.out) {
    const age = at - t;
    if (age < 0 || age > DAY_MS) continue;
    count24h++;
    sum24h += value;
    if (age <= HOUR_MS) {
      count1h++;
      sum1h += value;
      payees1h.add(payee);
    }
    if (age <= MINUTE_MS) count1m++;
  }
  vector[INDEX.out_count_1m] = count1m;
  vector[INDEX.out_count_1h] = count1h;
  vector[INDEX.out_count_24h] = count24h;
  vector[INDEX.out_log_sum_1h] = Math.log1p(sum1h);
  if (count24h > 0) vector[INDEX.out_mean_amount_24h] = sum24h / count24h;
  const [count7d, sum7d] = dayWindow(state.outDays, at, 7);
  const [count30d, sum30d] = dayWindow(state.outDays, at, 30);
  vector[INDEX.out_count_7d] = count7d;
  vector[INDEX.out_count_30d] = count30d;
  if (count7d > 0) vector[INDEX.out_mean_amount_7d] = sum7d / count7d;
  if (count30d > 0) {
    vector[INDEX.out_mean_amount_30d] = sum30d / count30d;
    vector[INDEX.amount_over_mean_30d] = Math.min(amount / Math.max(sum30d / count30d, 0.01), 1000);
  }
  const seen = fraudSeen(fraud, at);
  vector[INDEX.origin_fraud_known_30d] = seen.count30d;
  if (seen.lastOccurredAt !== null)
    vector[INDEX.origin_log_hours_since_fraud] = logHours(at - seen.lastOccurredAt);
  vector[INDEX.distinct_payees_1h] = payees1h.size;
  if (state.lastOutAt !== null) vector[INDEX.log_seconds_since_last_out] = logSeconds(at - state.lastOutAt);
  vector[INDEX.log_history_count] = Math.log1p(state.count);
  if (state.count >= 3) {
    const std = Math.sqrt(state.m2 / (state.count - 1));
    vector[INDEX.amount_zscore] = Math.max(
      -10,
      Math.min(10, (Math.log1p(amount) - state.mean) / Math.max(std, 0.1)),
    );
  }
  const payee = transaction.destination?.account ?? transaction.merchant?.id;
  if (payee) vector[INDEX.new_payee] = state.payees.includes(payee) ? 0 : 1;

  let inboundCount = 0;
  let inboundSum = 0;
  let sameAmount = 0;
  let lastInbound: number | null = null;
  const senders = new Set<string>();
  for (const [t, value, sender] of state.inbound) {
    const age = at - t;
    if (age < 0 || age > DAY_MS) continue;
    inboundCount++;
    inboundSum += value;
    senders.add(sender);
    if (Math.abs(value - amount) < 0.005) sameAmount = 1;
    lastInbound = lastInbound === null ? t : Math.max(lastInbound, t);
  }
  vector[INDEX.inbound_count_24h] = inboundCount;
  vector[INDEX.inbound_senders_24h] = senders.size;
  vector[INDEX.inbound_same_amount_24h] = sameAmount;
  vector[INDEX.amount_over_inbound_24h] = inboundSum > 0 ? Math.min(amount / inboundSum, 10) : MISSING;
  if (lastInbound !== null) vector[INDEX.log_seconds_since_inbound] = logSeconds(at - lastInbound);

  vector[INDEX.log_inbound_ever] = Math.log1p(state.inboundEver ?? 0);
  if (state.count > 0) vector[INDEX.cash_out_share] = (state.cashOutsEver ?? 0) / state.count;

  const country = transaction.merchant?.country;
  if (country && state.lastCountry !== null && state.lastCountryAt !== null) {
    vector[INDEX.country_changed] = country === state.lastCountry ? 0 : 1;
    vector[INDEX.log_minutes_since_country] = Math.log1p(Math.max(at - state.lastCountryAt, 0) / MINUTE_MS);
    const recent = new Set<string>([country]);
    for (const [t, c] of state.countries ?? []) if (at - t >= 0 && at - t <= HOUR_MS) recent.add(c);
    vector[INDEX.countries_1h] = recent.size;
  }
}

/** What the destination account's history says, as of just before this transaction. */
export function destinationFeatures(
  transaction: Transaction,
  state: AccountState,
  vector: FeatureVector,
  fraud: readonly FraudLabel[] = [],
): void {
  const at = eventTimeOf(transaction);
  const senders = new Set<string>();
  let count1h = 0;
  for (const [t, , sender] of state.inbound) {
    const age = at - t;
    if (age < 0 || age > DAY_MS) continue;
    senders.add(sender);
    if (age <= HOUR_MS) count1h++;
  }
  vector[INDEX.dest_inbound_senders_24h] = senders.size;
  vector[INDEX.dest_inbound_count_1h] = count1h;
  vector[INDEX.dest_log_history_count] = Math.log1p(state.count);
  vector[INDEX.dest_log_inbound_ever] = Math.log1p(state.inboundEver ?? 0);
  if (state.count > 0) vector[INDEX.dest_cash_out_share] = (state.cashOutsEver ?? 0) / state.count;
  const [count1d] = dayWindow(state.inDays, at, 1);
  const [count7d] = dayWindow(state.inDays, at, 7);
  const [count30d, sum30d] = dayWindow(state.inDays, at, 30);
  vector[INDEX.dest_count_1d] = count1d;
  vector[INDEX.dest_count_7d] = count7d;
  vector[INDEX.dest_count_30d] = count30d;
  if (count30d > 0) {
    const mean = sum30d / count30d;
    vector[INDEX.dest_mean_amount_30d] = mean;
    // against what this merchant usually takes, so an outlier stands out in any currency
    vector[INDEX.amount_over_dest_mean_30d] = Math.min(amountOf(transaction) / Math.max(mean, 0.01), 1000);
  }
  // the share of the payee's recent transactions known to be fraud: a compromised terminal's signature
  const seen = fraudSeen(fraud, at);
  vector[INDEX.dest_fraud_known_7d] = seen.count7d;
  vector[INDEX.dest_fraud_known_30d] = seen.count30d;
  vector[INDEX.dest_fraud_share_7d] = count7d > 0 ? Math.min(seen.count7d / count7d, 1) : 0;
  vector[INDEX.dest_fraud_share_30d] = count30d > 0 ? Math.min(seen.count30d / count30d, 1) : 0;
  if (seen.lastOccurredAt !== null)
    vector[INDEX.dest_log_hours_since_fraud] = logHours(at - seen.lastOccurredAt);
}
