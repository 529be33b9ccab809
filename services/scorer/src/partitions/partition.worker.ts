// Scores one account partition in stream order: pulls the partition's validated events through an
// ordered consumer from the committed offset, computes feature halves against the accounts' state, and
// commits state, halves, scores and offset in one transaction, publishing the scores just before it commits.
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  Events,
  Headers,
  Streams,
  deadLetterSubject,
  partitionOf,
  scoringPartitionFilter,
  type TransactionScored,
  type TransactionValidated,
} from '@vigil/contracts';
import { SpanKind, trace } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { correlationOf, incomingContext, type JetStreamPublisher, type NatsClient } from '@vigil/messaging';
import { Correlation, type Logger } from '@vigil/observability';
import { newAccountState, recordInbound, type AccountState } from '../features/account-state.js';
import { accountKey, destinationHalf, mergeHalves, originHalf } from '../features/feature-extractor.js';
import { destinationFeatures, newFeatureVector } from '../features/features.js';
import type { ScoringEngine } from '../scoring/scoring.engine.js';
import type { FeatureHalf, PartitionRepository } from './partition.repository.js';

const MAX_BATCH = 512;
const MAX_BUFFERED = 4_096;
/** Accounts kept in memory per partition before the cache is dropped (their state is in Postgres). */
const MAX_CACHED_ACCOUNTS = 100_000;

export interface PartitionWorkerDeps {
  nats: NatsClient;
  publisher: JetStreamPublisher;
  repository: PartitionRepository;
  engine: ScoringEngine;
  logger: Logger;
  owner: string;
  onScored(count: number): void;
}

const tracer = trace.getTracer('scorer');

interface Routed {
  seq: number;
  headers: MsgHdrs | undefined;
  event: TransactionValidated;
  role: 'origin' | 'destination';
}

export class PartitionFencedError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} was claimed by a newer owner`);
  }
}

export class PartitionWorker {
  private messages: ConsumerMessages | undefined;
  private readonly buffer: JsMsg[] = [];
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly cache = new Map<string, AccountState>();
  private readonly decoder = new TextDecoder();
  /** Settles when the worker has stopped: resolves on a requested stop, rejects on a failure. */
  readonly done: Promise<void>;

  constructor(
    readonly partition: number,
    readonly epoch: number,
    private readonly deps: PartitionWorkerDeps,
  ) {
    this.done = this.run();
  }

  /** Finishes the batch in hand (graceful) or abandons it uncommitted (the lease is gone). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.messages?.stop();
    this.wake?.();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { repository, nats, logger } = this.deps;
    const lastSeq = await repository.claim(this.partition, this.epoch, this.deps.owner);
    if (lastSeq === undefined) throw new PartitionFencedError(this.partition);
    const consumer = await nats.js.consumers.get(Streams.transactions.name, {
      filter_subjects: scoringPartitionFilter(this.partition),
      ...(lastSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    if (this.stopping) return;
    this.messages = await consumer.consume({ max_messages: 1_024 });
    logger.info({ partition: this.partition, epoch: this.epoch, from: lastSeq + 1 }, 'scoring partition');
    const pump = this.pump(this.messages);
    try {
      while (!this.stopping) {
        if (this.buffer.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        await this.process(this.buffer.splice(0, MAX_BATCH));
      }
    } finally {
      this.messages.stop();
      await pump;
    }
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      this.buffer.push(message);
      this.wake?.();
      // let the batch in hand commit before pulling further ahead
      while (this.buffer.length >= MAX_BUFFERED && !this.stopping) await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async process(batch: JsMsg[]): Promise<void> {
    const routed: Routed[] = [];
    for (const message of batch) {
      const event = this.decode(message);
      if (event)
        routed.push({
          seq: message.seq,
          headers: message.headers,
          event,
          role: message.subject.endsWith('.destination') ? 'destination' : 'origin',
        });
      else await this.deadLetter(message);
    }
    const lastSeq = batch[batch.length - 1]!.seq;
    await this.loadAccounts(routed);

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
    for (const { event, role, headers } of routed) {
      const transaction = event.transaction;
      const vector = newFeatureVector();
      byId.set(transaction.transaction_id, event);
      headersById.set(transaction.transaction_id, headers);
      if (role === 'destination') {
        destinationHalf(transaction, states, vector);
        halves.push({ transactionId: transaction.transaction_id, role, vector: Array.from(vector) });
        continue;
      }
      const destinationAccount = transaction.destination?.account;
      const local = destinationAccount !== undefined && partitionOf(destinationAccount) === this.partition;
      const destination = local ? states.get(accountKey(transaction, destinationAccount)) : undefined;
      // as in training: both sides read before either writes
      if (destination) destinationFeatures(transaction, destination, vector);
      originHalf(transaction, states, vector);
      if (destination) recordInbound(destination, transaction);
      if (destinationAccount === undefined || local) scored.push(this.deps.engine.score(event, vector));
      else halves.push({ transactionId: transaction.transaction_id, role, vector: Array.from(vector) });
    }

    const result = await this.deps.repository.commit({
      partition: this.partition,
      epoch: this.epoch,
      lastSeq,
      states: touched,
      halves,
      scored,
      scoreJoined: (joined) =>
        joined.map((j) =>
          this.deps.engine.score(
            byId.get(j.transactionId)!,
            mergeHalves(Float64Array.from(j.origin), Float64Array.from(j.destination)),
          ),
        ),
      publish: (events) => this.publish(events, headersById),
    });
    if (result.fenced) throw new PartitionFencedError(this.partition);
    this.deps.onScored(result.scored);
    if (this.cache.size > MAX_CACHED_ACCOUNTS) this.cache.clear();
  }

  private async loadAccounts(routed: Routed[]): Promise<void> {
    const missing = new Set<string>();
    for (const { event, role } of routed) {
      const t = event.transaction;
      const accounts =
        role === 'destination' ? [t.destination!.account] : [t.origin.account, t.destination?.account];
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

  private decode(message: JsMsg): TransactionValidated | undefined {
    try {
      const event = JSON.parse(this.decoder.decode(message.data)) as unknown;
      if (Events.transactionValidated.validate(event)) return event;
    } catch {
      // not JSON: dead-lettered below
    }
    return undefined;
  }

  private async deadLetter(message: JsMsg): Promise<void> {
    this.deps.logger.error(
      { subject: message.subject, seq: message.seq },
      'validated event unreadable; dead-lettered',
    );
    await this.deps.publisher.publishRaw(
      deadLetterSubject('scorer'),
      message.data,
      { msgId: `scorer:${message.seq}` },
      {
        [Headers.deadLetterReason]: 'not a valid transaction.validated event',
        [Headers.deadLetterSubject]: message.subject,
        [Headers.deadLetterDeliveries]: '1',
      },
    );
  }

  /** Publishes scores, each in the trace of the validated event it came from. */
  private async publish(
    events: TransactionScored[],
    headersById: ReadonlyMap<string, MsgHdrs | undefined> = new Map(),
  ): Promise<void> {
    await Promise.all(
      events.map((scored) => {
        const id = scored.transaction.transaction_id;
        const headers = headersById.get(id);
        return Correlation.run(correlationOf(headers), () =>
          tracer.startActiveSpan(
            `${Events.transactionValidated.filter} score`,
            {
              kind: SpanKind.CONSUMER,
              attributes: { 'messaging.system': 'nats', 'vigil.partition': this.partition },
            },
            incomingContext(headers),
            async (span) => {
              try {
                await this.deps.publisher.publish(
                  Events.transactionScored,
                  scored.transaction.region,
                  scored,
                  {
                    msgId: id,
                  },
                );
              } finally {
                span.end();
              }
            },
          ),
        );
      }),
    );
  }
}
