// One NATS connection per process, with JetStream handles and idempotent provisioning of streams and consumers.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { ConsumerSpec, StreamSpec } from '@vigil/contracts';
import type { Logger } from '@vigil/observability';

export interface NatsOptions {
  url: string;
  name: string;
  logger: Logger;
  /** PEM files for TLS: the CA that signed the server, and this client's certificate and key (mTLS). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export class NatsClient {
  private constructor(
    readonly connection: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    private readonly logger: Logger,
  ) {}

  /** Connects, retrying until the server answers, and reconnects forever afterwards. */
  static async connect(options: NatsOptions): Promise<NatsClient> {
    const connection = await connect({
      servers: options.url.split(','),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
      // async stack traces cost a captured Error per publish and request (~10% of a service's CPU)
      noAsyncTraces: true,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    const client = new NatsClient(
      connection,
      jetstream(connection),
      await jetstreamManager(connection),
      options.logger,
    );
    void client.watchStatus();
    return client;
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
        this.logger.warn(
          { nats: status.type, server: 'server' in status ? status.server : undefined },
          'nats connection status',
        );
      }
    }
  }

  /** Creates the stream, or updates it when its configuration differs. Safe to run from every replica. */
  async ensureStream(spec: StreamSpec): Promise<void> {
    const config: Partial<StreamConfig> & { name: string } = {
      name: spec.name,
      subjects: [...spec.subjects],
      storage: StorageType.File,
      duplicate_window: nanos(spec.duplicateWindowMs),
      max_age: nanos(spec.maxAgeMs),
      // a full stream refuses new messages (back-pressure at the door) instead of dropping the oldest,
      // which consumers may not have read yet
      discard: DiscardPolicy.New,
    };
    try {
      const info = await this.jsm.streams.info(spec.name);
      const current = info.config;
      const same =
        current.subjects.join() === config.subjects!.join() &&
        current.duplicate_window === config.duplicate_window &&
        current.max_age === config.max_age &&
        current.discard === config.discard;
      if (!same) await this.jsm.streams.update(spec.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.jsm.streams.add(config);
      } catch (addError) {
        // another replica created it between our lookup and our add
        if (!(addError instanceof JetStreamApiError && addError.code === STREAM_NAME_IN_USE)) throw addError;
      }
    }
  }

  /** Creates or updates the durable pull consumer; the same call from many replicas converges. */
  async ensureConsumer(spec: ConsumerSpec<unknown>): Promise<void> {
    await this.ensureStream(spec.event.stream);
    const changeable = {
      filter_subject: spec.event.filter,
      ack_wait: nanos(spec.ackWaitMs),
      // unlimited at the server: the message boundary dead-letters a message after spec.maxDeliver deliveries
      // that failed for its own sake, and never one that waited for an unavailable dependency
      max_deliver: -1,
      max_ack_pending: spec.maxInFlight * 8,
    };
    try {
      await this.jsm.consumers.add(spec.event.stream.name, {
        durable_name: spec.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ...changeable,
      });
    } catch (error) {
      // nats-server 2.10+ refuses to "create" over an existing consumer whose config differs: update it instead
      if (!(error instanceof JetStreamApiError && error.code === CONSUMER_ALREADY_EXISTS)) throw error;
      await this.jsm.consumers.update(spec.event.stream.name, spec.durable, changeable);
    }
  }

  async ping(): Promise<void> {
    if (this.connection.isClosed()) throw new Error('nats connection closed');
    await this.connection.flush();
  }

  /** Lets in-flight publishes and subscriptions finish, then closes. */
  async drain(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** JetStream API error code: a stream with that name exists with a different configuration. */
const STREAM_NAME_IN_USE = 10058;
/** JetStream API error code: a consumer with that name exists with a different configuration. */
const CONSUMER_ALREADY_EXISTS = 10148;
