// A validator against a private nats-server and a fresh database, and the tools its tests look through:
// an accepted-record publisher, a stream reader, and SQL.
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Streams, Events, type EventSpec, type TransactionAccepted } from '@vigil/contracts';
import { JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import type { RunningService } from '@vigil/runtime';
import {
  TestDatabase,
  TestNatsServer,
  freePort,
  newTransaction,
  type TransactionInput,
} from '@vigil/testing';
import { startValidator } from '../src/app.js';
import { validatorEnv, type ValidatorEnv } from '../src/config.js';

export const logger = createLogger('validator-test', 'silent');

export class ValidatorHarness {
  validator?: RunningService;
  private sequence = 0;

  private constructor(
    readonly nats: TestNatsServer,
    readonly db: TestDatabase,
    readonly client: NatsClient,
    readonly publisher: JetStreamPublisher,
    readonly inspector: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async start(env: Partial<ValidatorEnv> = {}): Promise<ValidatorHarness> {
    const [nats, db] = await Promise.all([TestNatsServer.start(), TestDatabase.create()]);
    const client = await NatsClient.connect({ url: nats.url, name: 'validator-test', logger });
    for (const stream of Object.values(Streams)) await client.ensureStream(stream);
    const inspector = await connect({ servers: nats.url });
    const harness = new ValidatorHarness(
      nats,
      db,
      client,
      new JetStreamPublisher(client),
      inspector,
      await jetstreamManager(inspector),
    );
    await harness.startValidator(env);
    return harness;
  }

  env(overrides: Partial<ValidatorEnv> = {}): ValidatorEnv {
    return {
      ...validatorEnv({}),
      NATS_URL: this.nats.url,
      DATABASE_URL: this.db.url,
      LOG_LEVEL: 'silent',
      METRICS_PORT: 0,
      ...overrides,
    };
  }

  async startValidator(overrides: Partial<ValidatorEnv> = {}): Promise<void> {
    const env = this.env(overrides);
    if (env.METRICS_PORT === 0) env.METRICS_PORT = await freePort();
    this.metricsPort = env.METRICS_PORT;
    this.validator = await startValidator(env);
  }

  metricsPort = 0;
  readonly replicas: RunningService[] = [];

  /** Another validator replica on the same NATS and database, sharing the durable consumer. */
  async startReplica(overrides: Partial<ValidatorEnv> = {}): Promise<RunningService> {
    const replica = await startValidator({ ...this.env(overrides), METRICS_PORT: await freePort() });
    this.replicas.push(replica);
    return replica;
  }

  async stopValidator(): Promise<void> {
    for (const replica of this.replicas.splice(0)) await replica.close();
    await this.validator?.close();
    this.validator = undefined;
  }

  /** Publishes records as ingest would: one accepted event each, Nats-Msg-Id the transaction id. */
  async accept(
    records: Record<string, unknown>[],
    options: { source?: string; partnerId?: string; receivedAt?: string; msgIdSuffix?: string } = {},
  ): Promise<void> {
    await Promise.all(
      records.map((record) => {
        const id = String(record.transaction_id);
        const accepted: TransactionAccepted = {
          transaction_id: id,
          received_at: options.receivedAt ?? new Date().toISOString(),
          source: options.source ?? 'api',
          ...(options.partnerId ? { partner_id: options.partnerId } : {}),
          record,
        };
        return this.publisher.publish(Events.transactionAccepted, 'NG', accepted, {
          msgId: `${id}${options.msgIdSuffix ?? ''}`,
        });
      }),
    );
  }

  /** Every message of an event stored so far (decoded). */
  async messages<T>(
    event: EventSpec<T>,
    subjectFilter = event.filter,
  ): Promise<{ subject: string; data: T }[]> {
    const info = await this.jsm.streams.info(event.stream.name);
    const stored: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await this.jsm.streams.getMessage(event.stream.name, { seq }).catch(() => null);
      if (msg && subjectMatches(subjectFilter, msg.subject)) stored.push(msg);
    }
    return stored.map((m) => ({ subject: m.subject, data: m.json<T>() }));
  }

  query<R>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.db.query(text, values) as Promise<R[]>;
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  async health(): Promise<Record<string, unknown>> {
    return (await (await fetch(`http://127.0.0.1:${this.metricsPort}/health/ready`)).json()) as Record<
      string,
      unknown
    >;
  }

  nextId(prefix = 't'): string {
    return `${prefix}-${Date.now().toString(36)}-${++this.sequence}`;
  }

  async stop(): Promise<void> {
    await this.stopValidator().catch(() => undefined);
    await this.client.drain().catch(() => undefined);
    await this.inspector.close().catch(() => undefined);
    await this.nats.dispose();
    await this.db.drop();
  }
}

export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

export { newTransaction, type TransactionInput };
