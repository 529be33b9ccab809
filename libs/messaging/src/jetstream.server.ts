// The NestJS transport strategy: durable pull consumers with explicit ack, and queue-group request handlers.
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Headers, deadLetterSubject, type ConsumerSpec, type RequestSpec } from '@vigil/contracts';
import { Correlation, type Logger } from '@vigil/observability';
import { lastValueFrom } from 'rxjs';
import { Counter, Histogram, type Registry } from 'prom-client';
import { JetStreamContext } from './context.js';
import { CONSUMER_EXTRA, REQUEST_EXTRA } from './decorators.js';
import { PermanentError, backoffMs, describeFailure } from './errors.js';
import type { NatsClient } from './nats-client.js';
import type { JetStreamPublisher } from './publisher.js';
import { Semaphore } from './semaphore.js';
import { correlationOf, incomingContext } from './trace-headers.js';

export interface JetStreamServerOptions {
  service: string;
  nats: NatsClient;
  publisher: JetStreamPublisher;
  logger: Logger;
  /** Every consumer and request endpoint this service serves; each must have exactly one handler. */
  consumers: ConsumerSpec<unknown>[];
  requests?: RequestSpec<unknown, unknown>[];
  registry?: Registry;
}

interface RunningConsumer {
  spec: ConsumerSpec<unknown>;
  messages?: ConsumerMessages;
  slots: Semaphore;
  loop: Promise<void>;
}

export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly running: RunningConsumer[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly registrations = new Map<string, number>();
  private stopping = false;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private readonly tracer;
  private readonly processed?: Counter<'consumer' | 'outcome'>;
  private readonly duration?: Histogram<'consumer'>;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.tracer = trace.getTracer(options.service);
    if (options.registry) {
      this.processed = new Counter({
        name: 'vigil_messages_processed_total',
        help: 'Messages handled, by consumer and outcome (ack, retry, dead_letter)',
        labelNames: ['consumer', 'outcome'],
        registers: [options.registry],
      });
      this.duration = new Histogram({
        name: 'vigil_message_handle_seconds',
        help: 'Time from delivery to ack',
        labelNames: ['consumer'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [options.registry],
      });
    }
  }

  on(): never {
    throw new Error('JetStreamServer does not emit events');
  }

  unwrap<T>(): T {
    return this.options.nats as T;
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(() => callback(), callback);
  }

  /** Checks declarations against handlers, provisions consumers, then starts pulling. */
  private async start(): Promise<void> {
    const consumerHandlers = this.resolveHandlers(
      this.options.consumers.map((c) => c.durable),
      CONSUMER_EXTRA,
    );
    const requestHandlers = this.resolveHandlers(
      (this.options.requests ?? []).map((r) => r.subject),
      REQUEST_EXTRA,
    );
    for (const spec of this.options.consumers) await this.options.nats.ensureConsumer(spec);
    for (const spec of this.options.consumers) {
      const handler = consumerHandlers.get(spec.durable)!;
      const running: RunningConsumer = {
        spec,
        slots: new Semaphore(spec.maxInFlight),
        loop: Promise.resolve(),
      };
      running.loop = this.consume(running, handler).catch((error: unknown) => {
        this.options.logger.fatal({ consumer: spec.durable, error: String(error) }, 'consumer stopped');
        throw error;
      });
      this.running.push(running);
    }
    for (const spec of this.options.requests ?? [])
      this.serveRequests(spec, requestHandlers.get(spec.subject)!);
    // listening means the server knows the request subscriptions: a caller on another connection that asks
    // right after start-up must find a responder, not "no responders"
    if (this.subscriptions.length > 0) await this.options.nats.connection.flush();
  }

  /** Start-up fails on a declared name with no handler, a handler with no declaration, or two handlers for one name. */
  /** Nest keeps only the last request handler registered for a pattern; count them to catch a second one. */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler?: boolean,
    extras?: Record<string, unknown>,
  ): void {
    const key = this.normalizePattern(pattern as string);
    this.registrations.set(key, (this.registrations.get(key) ?? 0) + 1);
    super.addHandler(pattern, callback, isEventHandler, extras);
  }

  private resolveHandlers(declared: string[], extra: string): Map<string, MessageHandler> {
    const handlers = new Map<string, MessageHandler>();
    for (const [pattern, handler] of this.getHandlers()) {
      if (!handler.extras?.[extra]) continue;
      if (!declared.includes(pattern))
        throw new Error(
          `${this.options.service}: handler for "${pattern}" is not declared in this service's consumers`,
        );
      if (handler.next || (this.registrations.get(pattern) ?? 0) > 1)
        throw new Error(`${this.options.service}: "${pattern}" has more than one handler`);
      handlers.set(pattern, handler);
    }
    const missing = declared.filter((name) => !handlers.has(name));
    if (missing.length > 0)
      throw new Error(`${this.options.service}: no handler for ${missing.map((m) => `"${m}"`).join(', ')}`);
    return handlers;
  }

  private async consume(running: RunningConsumer, handler: MessageHandler): Promise<void> {
    const { spec } = running;
    const consumer = await this.options.nats.js.consumers.get(spec.event.stream.name, spec.durable);
    running.messages = await consumer.consume({ max_messages: spec.maxInFlight, expires: 10_000 });
    // close() may have run while we were subscribing, before there was anything for it to close; not awaited:
    // the close takes effect through the iteration below, which then ends
    if (this.stopping) void running.messages.close();
    for await (const message of running.messages) {
      await running.slots.acquire();
      if (this.stopping) {
        running.slots.release();
        message.nak(); // hand it back now rather than after ack_wait
        continue;
      }
      void this.handleMessage(spec, handler, message).finally(() => running.slots.release());
    }
  }

  private async handleMessage(
    spec: ConsumerSpec<unknown>,
    handler: MessageHandler,
    message: JsMsg,
  ): Promise<void> {
    const started = performance.now();
    const parent = incomingContext(message.headers);
    const correlationId = correlationOf(message.headers);
    await Correlation.run(correlationId, () =>
      this.tracer.startActiveSpan(
        `${message.subject} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.consumer.group.name': spec.durable,
            'messaging.destination.name': message.subject,
            'messaging.message.id': message.headers?.get(Headers.msgId) ?? '',
          },
        },
        parent,
        async (span) => {
          try {
            const payload = this.decode(spec, message);
            const ctx = new JetStreamContext([
              {
                subject: message.subject,
                stream: message.info.stream,
                streamSequence: message.info.streamSequence,
                deliveryCount: message.info.deliveryCount,
                headers: message.headers,
                correlationId,
              },
            ]);
            await lastValueFrom(this.transformToObservable(await handler(payload, ctx)), {
              defaultValue: undefined,
            });
            message.ack();
            this.processed?.inc({ consumer: spec.durable, outcome: 'ack' });
          } catch (error) {
            span.recordException(error instanceof Error ? error : new Error(String(error)));
            span.setStatus({ code: SpanStatusCode.ERROR });
            await this.fail(spec, message, error);
          } finally {
            span.end();
            this.duration?.observe({ consumer: spec.durable }, (performance.now() - started) / 1000);
          }
        },
      ),
    );
  }

  /** Validates at the boundary: a payload that is not JSON or breaks its schema can never succeed. */
  private decode(spec: ConsumerSpec<unknown>, message: JsMsg): unknown {
    let payload: unknown;
    try {
      payload = JSON.parse(this.decoder.decode(message.data));
    } catch {
      throw new PermanentError('payload is not JSON');
    }
    if (!spec.event.validate(payload)) {
      const reasons = spec.event.validate.reasons().map((r) => r.message);
      throw new PermanentError(`payload does not match ${spec.event.name}: ${reasons.join('; ')}`);
    }
    return payload;
  }

  private async fail(spec: ConsumerSpec<unknown>, message: JsMsg, error: unknown): Promise<void> {
    const failure = describeFailure(error);
    const deliveries = message.info.deliveryCount;
    const exhausted = deliveries >= spec.maxDeliver;
    if (failure.kind === 'transient' && !exhausted) {
      this.options.logger.warn(
        { consumer: spec.durable, subject: message.subject, deliveries, error: failure.message },
        'handler failed, will retry',
      );
      message.nak(backoffMs(deliveries));
      this.processed?.inc({ consumer: spec.durable, outcome: 'retry' });
      return;
    }
    const reason =
      exhausted && failure.kind === 'transient'
        ? `gave up after ${deliveries} deliveries: ${failure.message}`
        : failure.message;
    try {
      await this.options.publisher.publishRaw(
        deadLetterSubject(spec.durable),
        message.data,
        { msgId: `${message.info.stream}:${message.info.streamSequence}:${spec.durable}`, timeoutMs: 5_000 },
        {
          [Headers.deadLetterReason]: reason.slice(0, 1024),
          [Headers.deadLetterSubject]: message.subject,
          [Headers.deadLetterDeliveries]: String(deliveries),
        },
      );
      // no reason on the term: nats-server before 2.10 ignores a "+TERM <reason>" entirely and redelivers;
      // the reason is already on the dead letter
      message.term();
      this.processed?.inc({ consumer: spec.durable, outcome: 'dead_letter' });
      this.options.logger.error(
        { consumer: spec.durable, subject: message.subject, reason },
        'message dead-lettered',
      );
    } catch (publishError) {
      // without a dead letter the message must stay in the stream: retry later instead of losing it
      this.options.logger.error(
        { consumer: spec.durable, error: String(publishError) },
        'dead-letter publish failed, will retry',
      );
      message.nak(backoffMs(deliveries));
    }
  }

  private serveRequests(spec: RequestSpec<unknown, unknown>, handler: MessageHandler): void {
    const subscription = this.options.nats.connection.subscribe(spec.subject, {
      queue: spec.queue,
      callback: (error, msg) => {
        if (error)
          return this.options.logger.error(
            { subject: spec.subject, error: String(error) },
            'request subscription failed',
          );
        void this.answerRequest(spec, handler, msg);
      },
    });
    this.subscriptions.push(subscription);
  }

  private async answerRequest(
    spec: RequestSpec<unknown, unknown>,
    handler: MessageHandler,
    msg: Msg,
  ): Promise<void> {
    const parent = incomingContext(msg.headers);
    await Correlation.run(correlationOf(msg.headers), () =>
      this.tracer.startActiveSpan(
        `${spec.subject} request`,
        { kind: SpanKind.SERVER },
        parent,
        async (span) => {
          try {
            let payload: unknown;
            try {
              payload = JSON.parse(this.decoder.decode(msg.data));
            } catch {
              throw new PermanentError('request is not JSON');
            }
            if (!spec.validateRequest(payload)) {
              throw new PermanentError(
                spec.validateRequest
                  .reasons()
                  .map((r) => r.message)
                  .join('; '),
              );
            }
            const ctx = new JetStreamContext([
              {
                subject: msg.subject,
                stream: '',
                streamSequence: 0,
                deliveryCount: 1,
                headers: msg.headers,
                correlationId: Correlation.current(),
              },
            ]);
            const reply: unknown = await lastValueFrom(
              this.transformToObservable(await handler(payload, ctx)),
            );
            msg.respond(this.encoder.encode(JSON.stringify(reply)));
          } catch (error) {
            const failure = describeFailure(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
            msg.respond(
              this.encoder.encode(
                JSON.stringify({
                  error: {
                    status: failure.status ?? (failure.kind === 'permanent' ? 400 : 503),
                    message: failure.message,
                  },
                }),
              ),
            );
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  /** Stops pulling, lets every in-flight message finish and ack, then returns; the connection is closed by its owner. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const subscription of this.subscriptions) await subscription.drain().catch(() => undefined);
    for (const running of this.running) {
      await running.messages?.close().catch(() => undefined);
      await running.slots.idle();
    }
    await Promise.allSettled(this.running.map((r) => r.loop));
    this.options.logger.info('consumers drained');
  }
}
