// Reads one account partition in stream order through an ordered consumer from the committed offset, and
// hands each batch through the message boundary to the partition's handler. A message the boundary refuses,
// or an event the database refuses (the batch is halved down to it), is dead-lettered to `deadletter.scorer`
// with its reason and the offset moves past it; the rest of the batch commits. A transient failure retries
// what did not commit, in place, with the one backoff policy: no new epoch, no new consumer.
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import {
  Events,
  Streams,
  scoringPartitionFilter,
  type ScorerDecision,
  type TransactionScored,
  type TransactionValidated,
} from '@vigil/contracts';
import { commitIsolating, dataRefusal } from '@vigil/db';
import {
  backoffMs,
  consumedMessage,
  correlationOf,
  describeFailure,
  destinationName,
  incomingContext,
  messagingAttributes,
  type ConsumedMessage,
  type JetStreamPublisher,
  type MessageBoundary,
  type NatsClient,
} from '@vigil/messaging';
import { Correlation, type Logger } from '@vigil/observability';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScoringEngine } from '../scoring/scoring.engine.js';
import {
  EventRefusedError,
  PartitionFencedError,
  PartitionHandler,
  type PartitionEvent,
} from './partition.handler.js';
import type { PartitionRepository } from './partition.repository.js';

export { PartitionFencedError } from './partition.handler.js';

const MAX_BATCH = 512;
const MAX_BUFFERED = 4_096;

export interface PartitionWorkerDeps {
  nats: NatsClient;
  publisher: JetStreamPublisher;
  repository: PartitionRepository;
  engine: ScoringEngine;
  /** The boundary every partition's messages cross: decoding, dead letters, metrics. */
  boundary: MessageBoundary<TransactionValidated>;
  logger: Logger;
  owner: string;
  onScored(count: number): void;
}

const tracer = trace.getTracer('scorer');

/** A message of the batch in hand, decoded, or refused by the boundary with a reason. */
interface Pulled {
  message: ConsumedMessage;
  event: PartitionEvent;
  refusal?: string;
  deadLettered?: boolean;
}

/** Errors that blame one event, so that it is dead-lettered and the others commit. */
const refusalOf = (error: unknown): Error | undefined =>
  error instanceof EventRefusedError ? error : dataRefusal(error);

export class PartitionWorker {
  private messages: ConsumerMessages | undefined;
  private readonly buffer: JsMsg[] = [];
  private wake: (() => void) | undefined;
  private stopping = false;
  private readonly stopped = new AbortController();
  private readonly handler: PartitionHandler;
  /** The stream sequence committed last: a retry starts after it. */
  private committedSeq = 0;
  /** When the batch in hand started, while one is in hand: a batch that does not commit stalls the partition. */
  private batchSince: number | undefined;
  /** Settles when the worker has stopped: resolves on a requested stop, rejects on a failure. */
  readonly done: Promise<void>;

  constructor(
    readonly partition: number,
    readonly epoch: number,
    private readonly deps: PartitionWorkerDeps,
  ) {
    this.handler = new PartitionHandler(partition, epoch, {
      repository: deps.repository,
      engine: deps.engine,
      publish: (scored, headersById) => this.publish(scored, headersById),
    });
    this.done = this.run();
  }

  /** A synchronous decision on a transaction whose paying account is in this partition (PartitionHandler.decide). */
  decide(validated: TransactionValidated): Promise<ScorerDecision> {
    return this.handler.decide(validated);
  }

  /** Finishes the batch in hand (graceful) or abandons it uncommitted (the lease is gone). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.messages?.stop();
    this.wake?.();
    await this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { repository, nats, logger } = this.deps;
    // Postgres or NATS away at the start is waited out here: giving the partition back would only claim it
    // again with a new epoch
    const lastSeq = await this.retrying('claiming the partition', () =>
      repository.claim(this.partition, this.epoch, this.deps.owner),
    );
    if (this.stopping) return;
    if (lastSeq === undefined) throw new PartitionFencedError(this.partition);
    this.committedSeq = lastSeq;
    const consumer = await this.retrying('creating the partition consumer', () =>
      nats.js.consumers.get(Streams.transactions.name, {
        filter_subjects: scoringPartitionFilter(this.partition),
        ...(lastSeq > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      }),
    );
    if (this.stopping || consumer === undefined) return;
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
        await this.processTraced(this.buffer.splice(0, MAX_BATCH));
      }
    } finally {
      this.messages.stop();
      await pump;
    }
  }

  /** `step`'s result, retried with the shared backoff until it succeeds; undefined when the worker stops first. */
  private async retrying<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        return await step();
      } catch (error) {
        const delayMs = backoffMs(attempt);
        this.deps.logger.warn(
          { partition: this.partition, attempt, delayMs, error: describeFailure(error).message },
          `${what} failed, will retry`,
        );
        await sleep(delayMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      }
    }
    return undefined;
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      this.buffer.push(message);
      this.wake?.();
      // let the batch in hand commit before pulling further ahead
      while (this.buffer.length >= MAX_BUFFERED && !this.stopping) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Seconds the batch in hand has waited to commit (retrying a failure); 0 when the partition is idle or flowing. */
  stalledSeconds(): number {
    return this.batchSince === undefined ? 0 : (performance.now() - this.batchSince) / 1000;
  }

  /**
   * `process` in one CONSUMER span for the batch: linked to every message's trace, and the child of the one
   * message when the batch holds only one, so a lone transaction's trace shows its scoring writes in place.
   */
  private async processTraced(batch: JsMsg[]): Promise<void> {
    const contexts = batch.map((message) => incomingContext(message.headers));
    // one message: its producer is the parent (a link to the same span would be redundant); several: a root
    // span of its own, linked to each message's trace
    const parent = batch.length === 1 ? contexts[0]! : ROOT_CONTEXT;
    const links =
      batch.length === 1
        ? []
        : contexts
            .map((carried) => trace.getSpanContext(carried))
            .filter((linked) => linked !== undefined)
            .map((linked) => ({ context: linked }));
    await tracer.startActiveSpan(
      `process ${destinationName(batch[0]!.subject)}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: messagingAttributes(
          batch[0]!.subject,
          { type: 'process', name: 'process' },
          { 'messaging.batch.message_count': batch.length, 'vigil.partition': this.partition },
        ),
      },
      parent,
      async (span) => {
        this.batchSince = performance.now();
        try {
          await this.process(batch);
        } finally {
          this.batchSince = undefined;
          span.end();
        }
      },
    );
  }

  /** Commits the batch, isolating what is refused; retries what did not commit until it does or the worker stops. */
  private async process(batch: JsMsg[]): Promise<void> {
    const started = performance.now();
    const { boundary } = this.deps;
    const pulled = batch.map((message) => this.decode(message));
    for (let attempt = 1; !this.stopping; attempt++) {
      const pending = pulled.filter((p) => p.message.streamSequence > this.committedSeq);
      if (pending.length === 0) break;
      try {
        // refused by the boundary: dead-lettered first, then committed as a bare offset with the others
        for (const p of pending) if (p.refusal !== undefined) await this.deadLetter(p, p.refusal);
        await commitIsolating(
          pending,
          (part) => this.commit(part),
          async (p, refusal) => {
            await this.deadLetter(p, refusal.message);
            await this.handler.skip(p.message.streamSequence);
            this.committedSeq = p.message.streamSequence;
          },
          refusalOf,
        );
        break;
      } catch (error) {
        if (error instanceof PartitionFencedError) throw error;
        boundary.record('retry', performance.now() - started, pending.length);
        const delayMs = backoffMs(attempt);
        this.deps.logger.warn(
          { partition: this.partition, attempt, delayMs, error: describeFailure(error).message },
          'partition commit failed, will retry',
        );
        await sleep(delayMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      }
    }
    // what a stop abandoned is read again by the next owner and counted then
    const settled = pulled.filter((p) => p.message.streamSequence <= this.committedSeq);
    const deadLettered = settled.filter((p) => p.deadLettered).length;
    const elapsedMs = performance.now() - started;
    boundary.record('dead_letter', elapsedMs, deadLettered);
    boundary.record('ack', elapsedMs, settled.length - deadLettered);
  }

  private decode(message: JsMsg): Pulled {
    const consumed = consumedMessage(message);
    const role = message.subject.endsWith('.destination') ? 'destination' : 'origin';
    const event: PartitionEvent = { seq: message.seq, headers: message.headers, role, event: undefined };
    try {
      event.event = this.deps.boundary.decode(message.data);
      return { message: consumed, event };
    } catch (error) {
      return { message: consumed, event, refusal: describeFailure(error).message };
    }
  }

  private async commit(part: readonly Pulled[]): Promise<void> {
    const scored = await this.handler.handle(part.map((p) => p.event));
    this.committedSeq = part[part.length - 1]!.message.streamSequence;
    this.deps.onScored(scored);
  }

  private async deadLetter(pulled: Pulled, reason: string): Promise<void> {
    if (pulled.deadLettered) return;
    await this.deps.boundary.deadLetter(pulled.message, `partition ${this.partition}: ${reason}`);
    pulled.deadLettered = true;
    pulled.event.event = undefined;
  }

  /** Publishes scores, each in the trace of the validated event it came from. */
  private async publish(
    events: TransactionScored[],
    headersById: ReadonlyMap<string, MsgHdrs | undefined>,
  ): Promise<void> {
    await Promise.all(
      events.map((scored) => {
        const id = scored.transaction.transaction_id;
        const headers = headersById.get(id);
        return Correlation.run(correlationOf(headers), () =>
          tracer.startActiveSpan(
            `process ${Events.transactionValidated.filter}`,
            {
              kind: SpanKind.CONSUMER,
              attributes: messagingAttributes(
                Events.transactionValidated.filter,
                { type: 'process', name: 'score' },
                { 'vigil.partition': this.partition },
              ),
            },
            incomingContext(headers),
            async (span) => {
              try {
                await this.deps.publisher.publish(
                  Events.transactionScored,
                  scored.transaction.region,
                  scored,
                  { msgId: id },
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
