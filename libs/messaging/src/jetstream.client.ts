// The NestJS client side: emit() publishes JetStream events, send() makes core-NATS requests.
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { EventSpec, RequestSpec } from '@vigil/contracts';
import type { NatsClient } from './nats-client.js';
import type { JetStreamPublisher, PublishOptions, PublishResult } from './publisher.js';
import { RemoteRequestError, isErrorReply } from './errors.js';
import {
  clientOperation,
  messagingAttributes,
  messagingMetricsOf,
  type MessagingMetrics,
} from './messaging-telemetry.js';
import { outgoingHeaders } from './trace-headers.js';
import type { Registry } from 'prom-client';

export class JetStreamClient extends ClientProxy {
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private readonly metrics?: MessagingMetrics;

  constructor(
    private readonly nats: NatsClient,
    private readonly publisher: JetStreamPublisher,
    registry?: Registry,
  ) {
    super();
    if (registry) this.metrics = messagingMetricsOf(registry);
  }

  /** Publishes a typed event; resolves once the stream has stored it (or recognised it as a duplicate). */
  publishEvent<T>(
    event: EventSpec<T>,
    partition: string,
    payload: T,
    options: PublishOptions,
  ): Promise<PublishResult> {
    return this.publisher.publish(event, partition, payload, options);
  }

  /**
   * Sends a typed request and checks the reply against its schema. A handler's failure arrives as
   * a RemoteRequestError carrying the status it chose (4xx: do not retry as is; 503: retry later).
   */
  async request<Req, Rep>(
    spec: RequestSpec<Req, Rep>,
    payload: Req,
    timeoutMs = 10_000,
    subject = spec.subject,
  ): Promise<Rep> {
    const attributes = messagingAttributes(subject, { type: 'send', name: 'request' });
    return clientOperation(this.metrics, 'request', subject, attributes, async () => {
      const reply = await this.nats.connection.request(
        subject,
        this.encoder.encode(JSON.stringify(payload)),
        {
          timeout: timeoutMs,
          headers: outgoingHeaders(),
        },
      );
      const body: unknown = JSON.parse(this.decoder.decode(reply.data));
      if (isErrorReply(body)) throw new RemoteRequestError(body.error.status, body.error.message);
      if (!spec.validateReply(body)) {
        throw new Error(
          `invalid reply from ${subject}: ${spec.validateReply
            .reasons()
            .map((r) => r.message)
            .join('; ')}`,
        );
      }
      return body;
    });
  }

  connect(): Promise<NatsClient> {
    return Promise.resolve(this.nats);
  }

  close(): void {
    // the connection belongs to the process and is drained at shutdown
  }

  unwrap<T>(): T {
    return this.nats as T;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern = this.normalizePattern(packet.pattern as string);
    this.nats.connection
      .request(pattern, this.encoder.encode(JSON.stringify(packet.data)), {
        timeout: 10_000,
        headers: outgoingHeaders(),
      })
      .then((reply) =>
        callback({ response: JSON.parse(this.decoder.decode(reply.data)) as unknown, isDisposed: true }),
      )
      .catch((error: unknown) => callback({ err: error, isDisposed: true }));
    return () => undefined;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const pattern = this.normalizePattern(packet.pattern as string);
    const { msgId, payload } = packet.data as { msgId: string; payload: unknown };
    const result = await this.publisher.publishRaw(pattern, this.encoder.encode(JSON.stringify(payload)), {
      msgId,
    });
    return result as T;
  }
}
