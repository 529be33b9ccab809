// Feature halves in event order: the origin half reads and then updates the origin account, the
// destination half the destination account. Offline (training) one extractor holds every account;
// online each partition owner holds only its accounts and computes the halves it owns.
import { partnerScoped, type Transaction } from '@vigil/contracts';
import { newAccountState, recordInbound, recordOutgoing, type AccountState } from './account-state.js';
import {
  destinationFeatures,
  newFeatureVector,
  originFeatures,
  transactionFeatures,
  type FeatureVector,
} from './features.js';
import { NO_KNOWN_FRAUD, type KnownFraud } from './known-fraud.js';

export interface AccountStates {
  /** The state of an account key (accountKey): the same account name at two partners is two accounts. */
  get(account: string): AccountState;
}

/**
 * Where an account's history is kept: a partner's accounts are scoped to the partner (as its transaction ids
 * are), so one partner's traffic never shapes the features of another's; records without a partner keep the
 * account name as it is, which is what training and PaySim imports use.
 */
export const accountKey = (transaction: Transaction, account: string): string =>
  partnerScoped(transaction.partner_id, account);

/** Every account in memory: for training, evaluation and tests. */
export class InMemoryAccountStates implements AccountStates {
  private readonly states = new Map<string, AccountState>();
  get(account: string): AccountState {
    let state = this.states.get(account);
    if (!state) {
      state = newAccountState();
      this.states.set(account, state);
    }
    return state;
  }
}

/** Origin half: the record's own features and its origin's history; then the origin remembers it. */
export function originHalf(
  transaction: Transaction,
  states: AccountStates,
  vector: FeatureVector,
  fraud: KnownFraud = NO_KNOWN_FRAUD,
): void {
  const key = accountKey(transaction, transaction.origin.account);
  const origin = states.get(key);
  transactionFeatures(transaction, vector);
  originFeatures(transaction, origin, vector, fraud.asOrigin(key));
  recordOutgoing(origin, transaction);
}

/** The destination's features, before it remembers this transaction. */
export function destinationRead(
  transaction: Transaction,
  destination: AccountState,
  vector: FeatureVector,
  fraud: KnownFraud,
): void {
  const key = accountKey(transaction, transaction.destination!.account);
  destinationFeatures(transaction, destination, vector, fraud.asDestination(key));
}

/** Destination half: the destination's history; then the destination remembers the money it received. */
export function destinationHalf(
  transaction: Transaction,
  states: AccountStates,
  vector: FeatureVector,
  fraud: KnownFraud = NO_KNOWN_FRAUD,
): void {
  const account = transaction.destination?.account;
  if (!account) return;
  const destination = states.get(accountKey(transaction, account));
  destinationRead(transaction, destination, vector, fraud);
  recordInbound(destination, transaction);
}

/** Both halves at once, in one process that owns every account. */
export function fullFeatures(
  transaction: Transaction,
  states: AccountStates,
  fraud: KnownFraud = NO_KNOWN_FRAUD,
): FeatureVector {
  const vector = newFeatureVector();
  const account = transaction.destination?.account;
  const destination = account ? states.get(accountKey(transaction, account)) : undefined;
  // both sides read before either writes, so a transfer to oneself sees neither side of itself
  if (destination) destinationRead(transaction, destination, vector, fraud);
  originHalf(transaction, states, vector, fraud);
  if (destination) recordInbound(destination, transaction);
  return vector;
}

/** Combines an origin half and a destination half: each feature comes from the half that computed it. */
export function mergeHalves(origin: FeatureVector, destination: FeatureVector): FeatureVector {
  const merged = Float64Array.from(origin);
  for (let i = 0; i < merged.length; i++) if (destination[i] !== -1) merged[i] = destination[i]!;
  return merged;
}
