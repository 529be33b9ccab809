// The one place a consumed message crosses into a service: decoded and checked against its contract schema,
// handed to the handler, and settled: acked after success; a permanent failure dead-lettered alone to
// `deadletter.<name>` with its reason in the headers; a transient one redelivered after the one backoff
// policy, until its deliveries run out. Every consumer (JetStreamServer's durables, the scorer's ordered
// partition consumers, the gateway's webhook worker) goes through it and is measured the same way.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Headers, deadLetterSubject, type ConsumerSpec, type EventSpec } from '@vigil/contracts';
import { Correlation, TracedHistogram, type Logger } from '@vigil/observability';
import { Counter, Histogram, type Registry } from 'prom-client';
import { backoffMs } from './backoff.js';
import type { JetStreamMessageInfo } from './context.js';
import { PermanentError, describeFailure, isDependencyUnavailable } from './errors.js';
import type { NatsClient } from './nats-client.js';
import type { JetStreamPublisher } from './publisher.js';
import {
  destinationName,
  errorType,
  messagingAttributes,
  messagingMetricsOf,
  observeProcess,
  type MessagingMetrics,
} from './messaging-telemetry.js';
import { Semaphore } from './semaphore.js';
import { Turnstile, type Turn } from './turnstile.js';
import { correlationOf, incomingContext } from './trace-headers.js';

export type MessageOutcome = 'ack' | 'retry' | 'dead_letter';

export interface MessageBoundaryDeps {
  publisher: JetStreamPublisher;
  logger: Logger;
  /** Where the boundary's metrics are registered; none when omitted. */
  registry?: Registry;
  /** The tracer's name: the service. */
  service?: string;
}

/** A consumed message as the boundary sees it, whether it came from a durable or an ordered consumer. */
export interface ConsumedMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
}

export const consumedMessage = (message: JsMsg): ConsumedMessage => ({
  subject: message.subject,
  data: message.data,
  headers: message.headers,
  stream: message.info.stream,
  streamSequence: message.info.streamSequence,
  deliveryCount: message.info.deliveryCount,
});

interface BoundaryMetrics {
  processed: Counter<'consumer' | 'outcome'>;
  duration: Histogram<'consumer'>;
  deadLetters: Counter<'consumer' | 'cause'>;
  redeliveries: Counter<'consumer'>;
  ackLatency: TracedHistogram<'consumer'>;
  messaging: MessagingMetrics;
}

// one set per registry: several boundaries in one process share the metric families
const metricsByRegistry = new WeakMap<Registry, BoundaryMetrics>();

function metricsOf(registry: Registry): BoundaryMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      processed: new Counter({
        name: 'vigil_messages_processed_total',
        help: 'Messages handled, by consumer and outcome (ack, retry, dead_letter)',
        labelNames: ['consumer', 'outcome'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'vigil_message_handle_seconds',
        help: 'Time from delivery to settling the message',
        labelNames: ['consumer'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [registry],
      }),
      deadLetters: new Counter({
        name: 'vigil_dead_letters_total',
        help: 'Messages dead-lettered, by consumer and cause (permanent: refused for what it holds; exhausted: deliveries ran out)',
        labelNames: ['consumer', 'cause'],
        registers: [registry],
      }),
      redeliveries: new Counter({
        name: 'vigil_message_redeliveries_total',
        help: 'Messages delivered again (a delivery count above 1), by consumer',
        labelNames: ['consumer'],
        registers: [registry],
      }),
      ackLatency: new TracedHistogram({
        name: 'vigil_jetstream_ack_latency_seconds',
        help: 'Time from the message being stored in its stream to the consumer acknowledging it, by consumer',
        labelNames: ['consumer'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      }),
      messaging: messagingMetricsOf(registry),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

// a JSON escape that decodes to a NUL or to half of a surrogate pair; a string without one needs no walk
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** Where in `value` a string or key holds text no database column can store (NUL, a lone surrogate), if anywhere. */
export function unstorableText(value: unknown, path = '$'): string | undefined {
  if (typeof value === 'string') return textFault(value, path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyFault = textFault(key, `${path} key ${JSON.stringify(key)}`);
      if (keyFault) return keyFault;
      const found = unstorableText(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

function textFault(text: string, where: string): string | undefined {
  if (text.includes('\u0000')) return `a NUL character at ${where}`;
  if (!text.isWellFormed()) return `a lone UTF-16 surrogate at ${where}`;
  return undefined;
}

export class MessageBoundary<T> {
  private readonly decoder = new TextDecoder();
  private readonly metrics?: BoundaryMetrics;
  private readonly tracer;

  /**
   * @param name the consumer's name: its durable, or for an ordered consumer the name it dead-letters under
   * @param maxDeliver deliveries before a transiently failing message is dead-lettered
   */
  constructor(
    readonly name: string,
    readonly event: EventSpec<T>,
    readonly maxDeliver: number,
    private readonly deps: MessageBoundaryDeps,
  ) {
    if (deps.registry) this.metrics = metricsOf(deps.registry);
    this.tracer = trace.getTracer(deps.service ?? 'vigil-messaging');
  }

  static forConsumer<T>(spec: ConsumerSpec<T>, deps: MessageBoundaryDeps): MessageBoundary<T> {
    return new MessageBoundary(spec.durable, spec.event, spec.maxDeliver, deps);
  }

  /**
   * The payload, checked: a message that is not JSON, holds text no database can store, or breaks its schema
   * throws a PermanentError with the reason; it can never succeed.
   */
  decode(data: Uint8Array): T {
    const text = this.decoder.decode(data);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new PermanentError('payload is not JSON');
    }
    if (SUSPECT_ESCAPE.test(text)) {
      const fault = unstorableText(payload);
      if (fault) throw new PermanentError(`payload holds text that cannot be stored: ${fault}`);
    }
    if (!this.event.validate(payload)) {
      const reasons = this.event.validate.reasons().map((r) => r.message);
      throw new PermanentError(`payload does not match ${this.event.name}: ${reasons.join('; ')}`);
    }
    return payload;
  }

  /**
   * Handles one message of a durable (acknowledged) consumer in its trace: decode, `handler`, then ack, a
   * delayed nak, or dead letter and term. Never throws.
   */
  async process(
    message: JsMsg,
    handler: (payload: T, info: JetStreamMessageInfo) => Promise<void>,
    turn?: Turn,
  ): Promise<MessageOutcome> {
    const started = performance.now();
    const consumed = consumedMessage(message);
    const correlationId = correlationOf(message.headers);
    return Correlation.run(correlationId, () =>
      this.tracer.startActiveSpan(
        `process ${destinationName(message.subject)}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: messagingAttributes(
            message.subject,
            { type: 'process', name: 'process' },
            {
              'messaging.consumer.group.name': this.name,
              'messaging.message.id': message.headers?.get(Headers.msgId) ?? '',
              'messaging.message.body.size': message.data.byteLength,
              'messaging.nats.message.delivery_count': consumed.deliveryCount,
            },
          ),
        },
        incomingContext(message.headers),
        async (span) => {
          let outcome: MessageOutcome;
          let failure = '';
          try {
            const payload = this.decode(message.data);
            await handler(payload, {
              subject: consumed.subject,
              stream: consumed.stream,
              streamSequence: consumed.streamSequence,
              deliveryCount: consumed.deliveryCount,
              headers: consumed.headers,
              correlationId,
              ...(turn ? { turn } : {}),
            });
            message.ack();
            outcome = 'ack';
            this.recordAck(message);
          } catch (error) {
            failure = errorType(error);
            span.recordException(error instanceof Error ? error : new Error(String(error)));
            span.setAttribute('error.type', failure);
            span.setStatus({ code: SpanStatusCode.ERROR });
            outcome = await this.settleFailure(message, consumed, error);
          } finally {
            turn?.done();
            observeProcess(
              this.metrics?.messaging,
              message.subject,
              this.name,
              (performance.now() - started) / 1000,
              failure,
            );
            span.end();
          }
          if (consumed.deliveryCount > 1) this.metrics?.redeliveries.inc({ consumer: this.name });
          this.record(outcome, performance.now() - started);
          return outcome;
        },
      ),
    );
  }

  private async settleFailure(
    message: JsMsg,
    consumed: ConsumedMessage,
    error: unknown,
  ): Promise<MessageOutcome> {
    const failure = describeFailure(error);
    const deliveries = consumed.deliveryCount;
    // a dependency that is away is back-pressure: the message waits for it, however many deliveries that takes
    const unavailable = failure.kind === 'transient' && isDependencyUnavailable(error);
    const exhausted = !unavailable && deliveries >= this.maxDeliver;
    if (failure.kind === 'transient' && !exhausted) {
      this.deps.logger.warn(
        { consumer: this.name, subject: consumed.subject, deliveries, unavailable, error: failure.message },
        'handler failed, will retry',
      );
      message.nak(backoffMs(deliveries));
      return 'retry';
    }
    const reason =
      failure.kind === 'transient'
        ? `gave up after ${deliveries} deliveries: ${failure.message}`
        : failure.message;
    try {
      await this.deadLetter(consumed, reason, failure.kind === 'transient' ? 'exhausted' : 'permanent');
    } catch (publishError) {
      // without a dead letter the message must stay in the stream: retry later instead of losing it
      this.deps.logger.error(
        { consumer: this.name, error: String(publishError) },
        'dead-letter publish failed, will retry',
      );
      message.nak(backoffMs(deliveries));
      return 'retry';
    }
    // no reason on the term: nats-server before 2.10 ignores a "+TERM <reason>" entirely and redelivers;
    // the reason is already on the dead letter
    message.term();
    return 'dead_letter';
  }

  /**
   * Publishes `message` as it came to `deadletter.<name>`, the reason in its headers; throws when the dead
   * letter could not be stored (the caller must then keep the message). Idempotent per message.
   */
  async deadLetter(
    message: ConsumedMessage,
    reason: string,
    cause: 'permanent' | 'exhausted' = 'permanent',
  ): Promise<void> {
    await this.deps.publisher.publishRaw(
      deadLetterSubject(this.name),
      message.data,
      { msgId: `${message.stream}:${message.streamSequence}:${this.name}`, timeoutMs: 5_000 },
      {
        [Headers.deadLetterReason]: reason.slice(0, 1024),
        [Headers.deadLetterSubject]: message.subject,
        [Headers.deadLetterDeliveries]: String(message.deliveryCount),
      },
    );
    this.metrics?.deadLetters.inc({ consumer: this.name, cause });
    this.deps.logger.error(
      { consumer: this.name, subject: message.subject, seq: message.streamSequence, reason },
      'message dead-lettered',
    );
  }

  /** Stored-to-acked latency of one message, with the trace as exemplar. */
  private recordAck(message: JsMsg): void {
    if (!this.metrics) return;
    const storedMs = message.info.timestampNanos / 1e6;
    this.metrics.ackLatency.observe({ consumer: this.name }, Math.max(0, Date.now() - storedMs) / 1000);
  }

  /** Counts messages settled outside `process` (an ordered consumer settles a batch at once). */
  record(outcome: MessageOutcome, elapsedMs: number, count = 1): void {
    if (!this.metrics || count === 0) return;
    this.metrics.processed.inc({ consumer: this.name, outcome }, count);
    for (let i = 0; i < count; i++) this.metrics.duration.observe({ consumer: this.name }, elapsedMs / 1000);
  }
}

export interface DurableConsumerOptions<T> {
  spec: ConsumerSpec<T>;
  nats: NatsClient;
  boundary: MessageBoundary<T>;
  handler: (payload: T, info: JetStreamMessageInfo) => Promise<void>;
  logger: Logger;
}

/**
 * Pulls a durable consumer and hands each message to the boundary, at most `maxInFlight` at once. `stop()`
 * stops pulling, hands back what was pulled but not started, and waits for the messages in hand.
 */
export class DurableConsumer<T> {
  private messages: ConsumerMessages | undefined;
  private readonly slots: Semaphore;
  private readonly turns = new Turnstile();
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: DurableConsumerOptions<T>) {
    this.slots = new Semaphore(options.spec.maxInFlight);
  }

  /** Resolves once pulling has started; `done` settles when it ends. */
  async start(): Promise<void> {
    const { spec, nats } = this.options;
    const consumer = await nats.js.consumers.get(spec.event.stream.name, spec.durable);
    this.messages = await consumer.consume({ max_messages: spec.maxInFlight, expires: 10_000 });
    // stop() may have run while we were subscribing, before there was anything for it to close; not awaited:
    // the close takes effect through the iteration, which then ends
    if (this.stopping) void this.messages.close();
    this.loop = this.pull(this.messages).catch((error: unknown) => {
      this.options.logger.fatal({ consumer: spec.durable, error: String(error) }, 'consumer stopped');
      throw error;
    });
  }

  get done(): Promise<void> {
    return this.loop;
  }

  private async pull(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) {
      await this.slots.acquire();
      if (this.stopping) {
        this.slots.release();
        message.nak(); // hand it back now rather than after ack_wait
        continue;
      }
      // turns follow the stream's order: what handlers publish in order keeps it
      void this.options.boundary
        .process(message, this.options.handler, this.turns.take())
        .finally(() => this.slots.release());
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // close, not stop: what was pulled still comes through the loop, which hands it back at once
    await this.messages?.close().catch(() => undefined);
    await this.slots.idle();
    await this.loop.catch(() => undefined);
  }
}
