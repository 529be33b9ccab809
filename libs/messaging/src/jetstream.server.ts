// The NestJS transport strategy: durable pull consumers with explicit ack, and queue-group request handlers.
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ConsumerSpec, RequestSpec } from '@vigil/contracts';
import { Correlation, type Logger } from '@vigil/observability';
import { lastValueFrom } from 'rxjs';
import type { Registry } from 'prom-client';
import { JetStreamContext } from './context.js';
import { CONSUMER_EXTRA, REQUEST_EXTRA } from './decorators.js';
import { PermanentError, describeFailure } from './errors.js';
import { DurableConsumer, MessageBoundary } from './message-boundary.js';
import type { NatsClient } from './nats-client.js';
import type { JetStreamPublisher } from './publisher.js';
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

export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly running: DurableConsumer<unknown>[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly registrations = new Map<string, number>();
  private stopping = false;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private readonly tracer;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
    this.tracer = trace.getTracer(options.service);
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
    for (const consumer of this.running) await consumer.stop();
    this.options.logger.info('consumers drained');
  }
}
