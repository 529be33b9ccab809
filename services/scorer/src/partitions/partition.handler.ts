// The scorer's handler layer: takes one partition's decoded events in stream order, computes their feature
// halves against the accounts' state, scores what is complete, and commits state, halves, scores and offset
// in one transaction. Holds the partition's account cache; a failed commit drops it (it ran ahead of Postgres).
import type { MsgHdrs } from '@nats-io/transport-node';
import {
  partitionOf,
  type ScorerDecision,
  type TransactionScored,
  type TransactionValidated,
} from '@vigil/contracts';
import {
  DAY_MS,
  eventTimeOf,
  newAccountState,
  recordInbound,
  type AccountState,
} from '../features/account-state.js';
import {
  accountKey,
  destinationHalf,
  destinationRead,
  fullFeatures,
  mergeHalves,
  originHalf,
} from '../features/feature-extractor.js';
import { newFeatureVector, type FeatureVector } from '../features/features.js';
import type { KnownFraud } from '../features/known-fraud.js';
import type { ScoringEngine } from '../scoring/scoring.engine.js';
import type { FeatureHalf, PartitionRepository } from './partition.repository.js';

/** Accounts kept in memory per partition before the cache is dropped (their state is in Postgres). */
const MAX_CACHED_ACCOUNTS = 100_000;

/** One message of the partition: its event, or none when the boundary refused it (it only moves the offset). */
export interface PartitionEvent {
  seq: number;
  headers: MsgHdrs | undefined;
  role: 'origin' | 'destination';
  event: TransactionValidated | undefined;
}

export class PartitionFencedError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} was claimed by a newer owner`);
  }
}

/** Computing one event's features or score threw: the event is at fault, not the moment; it is dead-lettered. */
export class EventRefusedError extends Error {
  readonly kind = 'permanent';
}

export interface PartitionHandlerDeps {
  repository: PartitionRepository;
  engine: ScoringEngine;
  /** Publishes the batch's scores; runs inside the commit's transaction. */
  publish(scored: TransactionScored[], headersById: ReadonlyMap<string, MsgHdrs | undefined>): Promise<void>;
}

export class PartitionHandler {
  private readonly cache = new Map<string, AccountState>();

  constructor(
    readonly partition: number,
    readonly epoch: number,
    private readonly deps: PartitionHandlerDeps,
  ) {}

  /** Scores `events` (in stream order) and commits them with the offset of the last; the number scored. */
  async handle(events: readonly PartitionEvent[]): Promise<number> {
    try {
      return await this.score(events);
    } catch (error) {
      // the cache already holds this batch's updates, which did not commit
      this.cache.clear();
      throw error;
    }
  }

  /**
   * Scores `validated` now, for a synchronous decision, with the state the stream has reached: this partition's
   * accounts as held here (read, never changed: the stream updates them when the transaction reaches it), an
   * account of another partition as last committed. The decision is kept for the stream to store; a score the
   * stream stored first, or a decision taken before, is returned instead.
   */
  async decide(validated: TransactionValidated): Promise<ScorerDecision> {
    const transaction = validated.transaction;
    const keys = [transaction.origin.account, transaction.destination?.account]
      .filter((account): account is string => account !== undefined)
      .map((account) => accountKey(transaction, account));
    const unheld = keys.filter((key) => !this.cache.has(key));
    // the labels the stream's batch would count: given by the transaction's time, of the 30 days before it
    const at = Number.isFinite(eventTimeOf(transaction)) ? eventTimeOf(transaction) : Date.now();
    const [committed, fraud] = await Promise.all([
      unheld.length > 0 ? this.deps.repository.loadStates(unheld) : new Map<string, AccountState>(),
      this.deps.repository.loadFraudLabels([keys[0]!], keys.slice(1), at - 30 * DAY_MS, at),
    ]);
    // copies: the features read the accounts as the stream will, and nothing here changes them
    const copies = new Map<string, AccountState>();
    const states = {
      get: (account: string): AccountState => {
        let state = copies.get(account);
        if (!state) {
          const held = this.cache.get(account) ?? committed.get(account);
          state = held ? structuredClone(held) : newAccountState();
          copies.set(account, state);
        }
        return state;
      },
    };
    let vector: FeatureVector;
    let scored: TransactionScored;
    try {
      vector = fullFeatures(transaction, states, fraud);
      scored = this.deps.engine.score(validated, vector);
    } catch (error) {
      throw new EventRefusedError(
        `scoring failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return this.deps.repository.recordDecision(scored, vector);
  }

  /** Moves the offset past `seq` without scoring anything: the event there was dead-lettered. */
  async skip(seq: number): Promise<void> {
    const result = await this.deps.repository.commit({
      partition: this.partition,
      epoch: this.epoch,
      lastSeq: seq,
      states: new Map(),
      halves: [],
      scored: [],
      scoreJoined: () => [],
      publish: () => Promise.resolve(),
      featuresOf: () => undefined,
    });
    if (result.fenced) throw new PartitionFencedError(this.partition);
  }

  private async score(events: readonly PartitionEvent[]): Promise<number> {
    const routed = events.filter(
      (e): e is PartitionEvent & { event: TransactionValidated } => e.event !== undefined,
    );
    const lastSeq = events[events.length - 1]!.seq;
    await this.loadAccounts(routed);
    const fraud = await this.loadFraudLabels(routed);

    const touched = new Map<string, AccountState>();
    const states = {
      get: (account: string): AccountState => {
        const state = this.cache.get(account) ?? newAccountState();
        this.cache.set(account, state);
        touched.set(account, state);
        return state;
      },
    };
    const halves: FeatureHalf[] = [];
    const scored: TransactionScored[] = [];
    const byId = new Map<string, TransactionValidated>();
    const headersById = new Map<string, MsgHdrs | undefined>();
    const vectors = new Map<string, FeatureVector>();
    const scoreWith = (event: TransactionValidated, vector: FeatureVector): TransactionScored => {
      vectors.set(event.transaction.transaction_id, vector);
      return this.deps.engine.score(event, vector);
    };
    for (const { event, role, headers } of routed) {
      const transaction = event.transaction;
      byId.set(transaction.transaction_id, event);
      headersById.set(transaction.transaction_id, headers);
      try {
        const vector = newFeatureVector();
        if (role === 'destination') {
          destinationHalf(transaction, states, vector, fraud);
          halves.push({ transactionId: transaction.transaction_id, role, vector: Array.from(vector) });
          continue;
        }
        const destinationAccount = transaction.destination?.account;
        const local = destinationAccount !== undefined && partitionOf(destinationAccount) === this.partition;
        const destination = local ? states.get(accountKey(transaction, destinationAccount)) : undefined;
        // as in training: both sides read before either writes
        if (destination) destinationRead(transaction, destination, vector, fraud);
        originHalf(transaction, states, vector, fraud);
        if (destination) recordInbound(destination, transaction);
        if (destinationAccount === undefined || local) scored.push(scoreWith(event, vector));
        else halves.push({ transactionId: transaction.transaction_id, role, vector: Array.from(vector) });
      } catch (error) {
        throw new EventRefusedError(
          `scoring failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }

    const result = await this.deps.repository.commit({
      partition: this.partition,
      epoch: this.epoch,
      lastSeq,
      states: touched,
      halves,
      scored,
      scoreJoined: (joined) =>
        joined.map((j) => {
          try {
            return scoreWith(
              byId.get(j.transactionId)!,
              mergeHalves(Float64Array.from(j.origin), Float64Array.from(j.destination)),
            );
          } catch (error) {
            throw new EventRefusedError(
              `scoring failed: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }),
      publish: (events) => this.deps.publish(events, headersById),
      featuresOf: (transactionId) => vectors.get(transactionId),
    });
    if (result.fenced) throw new PartitionFencedError(this.partition);
    if (this.cache.size > MAX_CACHED_ACCOUNTS) this.cache.clear();
    return result.scored;
  }

  /**
   * The fraud labels the batch's features may count, read fresh for every batch: a label recorded a moment ago
   * changes the next transaction's features. Only entities this partition computes features for are asked.
   */
  private async loadFraudLabels(
    routed: readonly { event: TransactionValidated; role: string }[],
  ): Promise<KnownFraud> {
    const origins = new Set<string>();
    const destinations = new Set<string>();
    let earliest = Infinity;
    let latest = -Infinity;
    for (const { event, role } of routed) {
      const t = event.transaction;
      const at = eventTimeOf(t);
      if (Number.isFinite(at)) {
        earliest = Math.min(earliest, at);
        latest = Math.max(latest, at);
      }
      if (role === 'origin') origins.add(accountKey(t, t.origin.account));
      const destination = t.destination?.account;
      if (destination !== undefined && partitionOf(destination) === this.partition) {
        destinations.add(accountKey(t, destination));
      }
    }
    if (!Number.isFinite(earliest)) earliest = latest = Date.now();
    return this.deps.repository.loadFraudLabels(
      [...origins],
      [...destinations],
      earliest - 30 * DAY_MS,
      latest,
    );
  }

  private async loadAccounts(
    routed: readonly { event: TransactionValidated; role: string }[],
  ): Promise<void> {
    const missing = new Set<string>();
    for (const { event, role } of routed) {
      const t = event.transaction;
      const accounts =
        role === 'destination' ? [t.destination?.account] : [t.origin.account, t.destination?.account];
      for (const account of accounts) {
        if (account === undefined || partitionOf(account) !== this.partition) continue;
        // partitions follow the account name; its state is kept per partner
        const key = accountKey(t, account);
        if (!this.cache.has(key)) missing.add(key);
      }
    }
    if (missing.size === 0) return;
    const loaded = await this.deps.repository.loadStates([...missing]);
    for (const [account, state] of loaded) this.cache.set(account, state);
  }
}
