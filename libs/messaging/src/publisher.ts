// Typed JetStream publishing: schema-checked payloads, Nats-Msg-Id dedup, bounded in-flight, retry while NATS is away.
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';
import { InvalidArgumentError } from '@nats-io/transport-node';
import type { EventSpec } from '@vigil/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs, type BackoffPolicy } from './backoff.js';
import { PublishRefusedError, StreamFullError } from './errors.js';
import {
  clientOperation,
  messagingAttributes,
  messagingMetricsOf,
  type MessagingMetrics,
} from './messaging-telemetry.js';
import type { NatsClient } from './nats-client.js';
import type { Registry } from 'prom-client';
import { Semaphore } from './semaphore.js';
import { outgoingHeaders } from './trace-headers.js';

export interface PublishOptions {
  /** Deduplication id, e.g. the transaction id; the same id for the same event type within the window is stored once. */
  msgId: string;
  /** Give up after this long; meanwhile NATS outages are retried. */
  timeoutMs?: number;
}

export interface PublishResult {
  duplicate: boolean;
  seq: number;
}

/** While NATS is away: retry soon, since a reconnect is usually quick, and at least every 2 s. */
const PUBLISH_RETRY: BackoffPolicy = { baseMs: 100, capMs: 2_000 };

// JetStream API errors that mean "no room now": a stream at its max bytes or messages (discard new), or
// the account or server out of JetStream storage
const NO_ROOM = new Set([10077, 10047, 10023, 10028]);

export interface PublisherOptions {
  /** Publishes awaiting their ack at once (default 1024); more wait for a slot. */
  maxInFlight?: number;
  /** Where messaging.client.operation.duration is recorded; none when omitted. */
  registry?: Registry;
}

export class JetStreamPublisher {
  private readonly slots: Semaphore;
  private readonly encoder = new TextEncoder();
  private readonly metrics?: MessagingMetrics;

  constructor(
    private readonly nats: NatsClient,
    options: PublisherOptions = {},
  ) {
    this.slots = new Semaphore(options.maxInFlight ?? 1024);
    if (options.registry) this.metrics = messagingMetricsOf(options.registry);
  }

  async publish<T>(
    event: EventSpec<T>,
    partition: string,
    payload: T,
    options: PublishOptions,
  ): Promise<PublishResult> {
    if (!event.validate(payload)) {
      const detail = event.validate
        .reasons()
        .map((r) => r.message)
        .join('; ');
      throw new Error(`refusing to publish an invalid ${event.name}: ${detail}`);
    }
    // events of several types share a stream and its dedup window, so the id is scoped by type
    const msgId = `${event.name}:${options.msgId}`;
    return this.publishRaw(event.subject(partition), this.encoder.encode(JSON.stringify(payload)), {
      ...options,
      msgId,
    });
  }

  /** Publishes bytes as they are; used for dead letters, which must keep the original payload. */
  async publishRaw(
    subject: string,
    data: Uint8Array,
    options: PublishOptions,
    extraHeaders?: Record<string, string>,
  ): Promise<PublishResult> {
    await this.slots.acquire();
    try {
      const attributes = messagingAttributes(
        subject,
        { type: 'send', name: 'publish' },
        { 'messaging.message.id': options.msgId, 'messaging.message.body.size': data.byteLength },
      );
      return await clientOperation(this.metrics, 'publish', subject, attributes, async () => {
        const headers = outgoingHeaders();
        for (const [key, value] of Object.entries(extraHeaders ?? {})) headers.set(key, value);
        const ack = await this.publishWithRetry(subject, data, headers, options);
        return { duplicate: ack.duplicate, seq: ack.seq };
      });
    } finally {
      this.slots.release();
    }
  }

  private async publishWithRetry(
    subject: string,
    data: Uint8Array,
    headers: ReturnType<typeof outgoingHeaders>,
    options: PublishOptions,
  ): Promise<PubAck> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (let attempt = 1; ; attempt++) {
      try {
        // the msgID makes a retry after a lost ack safe: the stream keeps one copy
        return await this.nats.js.publish(subject, data, { msgID: options.msgId, headers, timeout: 5_000 });
      } catch (error) {
        // retrying cannot help these, and a caller held for the whole deadline would only time out
        if (error instanceof InvalidArgumentError) throw new PublishRefusedError(error.message);
        if (error instanceof JetStreamApiError && NO_ROOM.has(error.code))
          throw new StreamFullError(`${subject}: ${error.message}`);
        if (Date.now() + 100 > deadline) throw error;
        await sleep(backoffMs(attempt, PUBLISH_RETRY));
      }
    }
  }

  async idle(): Promise<void> {
    await this.slots.idle();
  }
}
