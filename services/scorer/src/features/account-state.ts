// What the scorer remembers per account, in event time: recent outgoing and inbound money, running
// amount statistics, payees and the last card country. Plain JSON so it persists as one row per account.
import type { Transaction } from '@vigil/contracts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** Bounds per account so one hyperactive account cannot grow its row without limit. */
const MAX_EVENTS = 256;
const MAX_PAYEES = 64;

/** [event time ms, amount in major units, counterparty] */
export type MoneyEvent = [number, number, string];

export interface AccountState {
  /** Outgoing transactions ever seen. */
  count: number;
  /** Welford running mean and sum of squares of ln(1 + amount) over outgoing transactions. */
  mean: number;
  m2: number;
  lastOutAt: number | null;
  /** Outgoing within the last 24 h of event time, oldest first. */
  out: MoneyEvent[];
  /** Inbound within the last 24 h of event time, oldest first; counterparty is the sender. */
  inbound: MoneyEvent[];
  /** Most recent distinct payees, newest last. */
  payees: string[];
  /** Where the account last paid a merchant, and when. */
  lastCountry: string | null;
  lastCountryAt: number | null;
  /** Money received ever, and how many of the outgoing transactions were cash-outs: a mule's profile. */
  inboundEver: number;
  cashOutsEver: number;
  /** Merchant countries paid in the last 24 h: [event time ms, country], oldest first. */
  countries?: [number, string][];
  /** Outgoing per UTC day of event time over the last 30 days, oldest first: the 7- and 30-day windows. */
  outDays?: DayBucket[];
  /** Inbound per UTC day of event time over the last 30 days, oldest first. */
  inDays?: DayBucket[];
}

/** [UTC day number of event time, transactions, amount in major units] */
export type DayBucket = [number, number, number];

/** Days kept per entity: the longest window. */
export const WINDOW_DAYS_KEPT = 30;

export const dayNumberOf = (atMs: number): number => Math.floor(atMs / DAY_MS);

/** Adds a transaction to its day; days that left the 30-day window are dropped. */
function addToDay(buckets: DayBucket[], atMs: number, amount: number): void {
  const day = dayNumberOf(atMs);
  let at = buckets.length - 1;
  while (at >= 0 && buckets[at]![0] > day) at--;
  if (at >= 0 && buckets[at]![0] === day) {
    buckets[at]![1] += 1;
    buckets[at]![2] += amount;
  } else {
    buckets.splice(at + 1, 0, [day, 1, amount]);
  }
  const newest = buckets[buckets.length - 1]![0];
  let drop = 0;
  while (drop < buckets.length && buckets[drop]![0] <= newest - WINDOW_DAYS_KEPT) drop++;
  if (drop > 0) buckets.splice(0, drop);
}

/** Transactions and amount over the `days` calendar days ending with the day of `atMs`, that day so far included. */
export function dayWindow(
  buckets: readonly DayBucket[] | undefined,
  atMs: number,
  days: number,
): [number, number] {
  const last = dayNumberOf(atMs);
  let count = 0;
  let sum = 0;
  for (const [day, n, amount] of buckets ?? []) {
    if (day > last || day <= last - days) continue;
    count += n;
    sum += amount;
  }
  return [count, sum];
}

export const newAccountState = (): AccountState => ({
  count: 0,
  mean: 0,
  m2: 0,
  lastOutAt: null,
  out: [],
  inbound: [],
  payees: [],
  lastCountry: null,
  lastCountryAt: null,
  inboundEver: 0,
  cashOutsEver: 0,
});

export const amountOf = (transaction: Transaction): number => Number(transaction.amount);
export const eventTimeOf = (transaction: Transaction): number => Date.parse(transaction.timestamp);

function prune(events: MoneyEvent[], now: number): void {
  let drop = 0;
  while (drop < events.length && now - events[drop]![0] > DAY_MS) drop++;
  if (events.length - drop > MAX_EVENTS) drop = events.length - MAX_EVENTS;
  if (drop > 0) events.splice(0, drop);
}

/** Applies an outgoing transaction of this account; call after its features were taken. */
export function recordOutgoing(state: AccountState, transaction: Transaction): void {
  const at = eventTimeOf(transaction);
  const amount = amountOf(transaction);
  const payee = transaction.destination?.account ?? transaction.merchant?.id ?? '';
  const x = Math.log1p(amount);
  state.count += 1;
  if (transaction.type === 'CASH_OUT') state.cashOutsEver = (state.cashOutsEver ?? 0) + 1;
  const delta = x - state.mean;
  state.mean += delta / state.count;
  state.m2 += delta * (x - state.mean);
  state.lastOutAt = Math.max(state.lastOutAt ?? at, at);
  state.out.push([at, amount, payee]);
  prune(state.out, at);
  addToDay((state.outDays ??= []), at, amount);
  if (payee) {
    const known = state.payees.indexOf(payee);
    if (known >= 0) state.payees.splice(known, 1);
    state.payees.push(payee);
    if (state.payees.length > MAX_PAYEES) state.payees.shift();
  }
  const country = transaction.merchant?.country;
  if (country) {
    state.lastCountry = country;
    state.lastCountryAt = at;
    const countries = (state.countries ??= []);
    countries.push([at, country]);
    while (countries.length > 0 && (at - countries[0]![0] > DAY_MS || countries.length > 16))
      countries.shift();
  }
}

/** Applies money received by this account; call after its features were taken. */
export function recordInbound(state: AccountState, transaction: Transaction): void {
  const at = eventTimeOf(transaction);
  state.inbound.push([at, amountOf(transaction), transaction.origin.account]);
  state.inboundEver = (state.inboundEver ?? 0) + 1;
  prune(state.inbound, at);
  addToDay((state.inDays ??= []), at, amountOf(transaction));
}
