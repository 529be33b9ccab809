// The NestJS transport strategy: durable pull consumers with explicit ack, and queue-group request handlers.
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { ConsumerInfo } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import type { ConsumerSpec, RequestSpec } from '@vigil/contracts';
import { Correlation, type Logger } from '@vigil/observability';
import { lastValueFrom } from 'rxjs';
import { Gauge, type Registry } from 'prom-client';
import { JetStreamContext } from './context.js';
import { CONSUMER_EXTRA, REQUEST_EXTRA } from './decorators.js';
import { DurableConsumer, MessageBoundary } from './message-boundary.js';
import type { NatsClient } from './nats-client.js';
import type { JetStreamPublisher } from './publisher.js';
import { messagingMetricsOf, type MessagingMetrics } from './messaging-telemetry.js';
import { serveRequests } from './request-responder.js';

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

export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly running: DurableConsumer<unknown>[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly registrations = new Map<string, number>();
  private stopping = false;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private readonly tracer;

  private readonly metrics?: MessagingMetrics;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.tracer = trace.getTracer(options.service);
    if (options.registry) {
      this.metrics = messagingMetricsOf(options.registry);
      this.measureConsumers(options.registry);
    }
  }

  /**
   * Consumer lag, acks pending and redeliveries of every durable this service pulls, read from the server's
   * consumer info at each scrape (one request per durable), so they hold across replicas and restarts.
   */
  private measureConsumers(registry: Registry): void {
    const { nats, consumers, logger } = this.options;
    const labelNames = ['stream', 'durable'] as const;
    type Reading = { labels: { stream: string; durable: string }; info?: ConsumerInfo };
    // one read per durable serves all three gauges of a scrape (they are collected concurrently)
    let reading: { at: number; result: Promise<Reading[]> } | undefined;
    const read = (): Promise<Reading[]> => {
      if (reading && performance.now() - reading.at < 1_000) return reading.result;
      const result = Promise.all(
        consumers.map(async (spec): Promise<Reading> => {
          const labels = { stream: spec.event.stream.name, durable: spec.durable };
          try {
            return { labels, info: await nats.jsm.consumers.info(labels.stream, labels.durable) };
          } catch (error) {
            logger.debug({ durable: spec.durable, error: String(error) }, 'consumer info unavailable');
            return { labels };
          }
        }),
      );
      reading = { at: performance.now(), result };
      return result;
    };
    // a failed read leaves the durable out rather than reporting 0
    const gauge = (name: string, help: string, value: (info: ConsumerInfo) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          this.reset();
          for (const { labels, info } of await read()) if (info) this.set(labels, value(info));
        },
      });
    gauge(
      'vigil_jetstream_consumer_pending_messages',
      'Messages in the stream not yet delivered to the durable consumer (consumer lag)',
      (info) => info.num_pending,
    );
    gauge(
      'vigil_jetstream_consumer_ack_pending_messages',
      'Messages delivered to the durable consumer and not yet acknowledged',
      (info) => info.num_ack_pending,
    );
    gauge(
      'vigil_jetstream_consumer_redelivered_messages',
      'Messages the server is redelivering to the durable consumer',
      (info) => info.num_redelivered,
    );
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
      const consumer = new DurableConsumer({
        spec,
        nats: this.options.nats,
        logger: this.options.logger,
        boundary: MessageBoundary.forConsumer(spec, {
          publisher: this.options.publisher,
          logger: this.options.logger,
          service: this.options.service,
          ...(this.options.registry ? { registry: this.options.registry } : {}),
        }),
        handler: async (payload, info) => {
          await lastValueFrom(
            this.transformToObservable(await handler(payload, new JetStreamContext([info]))),
            { defaultValue: undefined },
          );
        },
      });
      this.running.push(consumer);
      await consumer.start();
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

  private serveRequests(spec: RequestSpec<unknown, unknown>, handler: MessageHandler): void {
    const deps = { tracer: this.tracer, logger: this.options.logger, metrics: this.metrics };
    const subscription = serveRequests(
      this.options.nats,
      spec,
      async (payload, msg) => {
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
        return lastValueFrom<unknown>(this.transformToObservable(await handler(payload, ctx)));
      },
      deps,
    );
    this.subscriptions.push(subscription);
  }

  /** Stops pulling, lets every in-flight message finish and ack, then returns; the connection is closed by its owner. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const subscription of this.subscriptions) await subscription.drain().catch(() => undefined);
    for (const consumer of this.running) await consumer.stop();
    this.options.logger.info('consumers drained');
  }
}
