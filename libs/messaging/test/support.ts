// Test-only streams, events and consumers (none of the production names), and a Nest app on JetStreamServer.
import { TestNatsServer } from '@vigil/testing';
import { Controller, type INestMicroservice, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  compile,
  Streams,
  type ConsumerSpec,
  type EventSpec,
  type RequestSpec,
  type StreamSpec,
} from '@vigil/contracts';
import { createLogger } from '@vigil/observability';
import {
  JetStreamConsumer,
  JetStreamContext,
  JetStreamPublisher,
  JetStreamServer,
  NatsClient,
  NatsRequest,
  type JetStreamMessageInfo,
} from '../src/index.js';

export const logger = createLogger('messaging-test', 'silent');

export const testStream: StreamSpec = {
  name: 'TEST',
  subjects: ['test.>'],
  duplicateWindowMs: 60_000,
  maxAgeMs: 3_600_000,
};

export interface Ping {
  id: string;
  note?: string;
}

const pingSchema = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string' }, note: { type: 'string' } },
} as const;

/** One event type per scenario, so scenarios in one file never see each other's messages. */
export function testEvent(name: string, stream: StreamSpec = testStream): EventSpec<Ping> {
  const prefix = `${stream.subjects[0]!.replace(/\.>$/, '')}.${name}`;
  return {
    name: `test.${name}`,
    stream,
    subject: (partition) => `${prefix}.${partition}`,
    filter: `${prefix}.>`,
    validate: compile<Ping>(pingSchema),
  };
}

export function testConsumer(
  durable: string,
  overrides: Partial<ConsumerSpec<Ping>> = {},
): ConsumerSpec<Ping> {
  return {
    durable,
    event: testEvent(durable),
    maxInFlight: 8,
    maxDeliver: 4,
    ackWaitMs: 5_000,
    ...overrides,
  };
}

export interface Greeting {
  name: string;
}
export interface GreetingReply {
  greeting: string;
}

/** Outside the TEST stream's subjects: a stream capturing a request subject would answer it with a PubAck. */
export const greetRequest: RequestSpec<Greeting, GreetingReply> = {
  subject: 'testsvc.greet',
  queue: 'testsvc',
  validateRequest: compile<Greeting>({
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 1 } },
  }),
  validateReply: compile<GreetingReply>({
    type: 'object',
    required: ['greeting'],
    additionalProperties: false,
    properties: { greeting: { type: 'string' } },
  }),
};

/** A process-like messaging stack: its own connection and publisher, as each service replica has. */
export interface Messaging {
  nats: NatsClient;
  publisher: JetStreamPublisher;
}

export async function connectMessaging(url: string, name = 'messaging-test'): Promise<Messaging> {
  const nats = await NatsClient.connect({ url, name, logger });
  return { nats, publisher: new JetStreamPublisher(nats) };
}

/** Every stream the transport writes to exists before anything publishes, as the platform ensures. */
export async function provisionStreams(nats: NatsClient): Promise<void> {
  await nats.ensureStream(testStream);
  await nats.ensureStream(Streams.deadLetters);
}

/** A controller with one thin handler for `consumer` that hands each message to `handle`. */
export function handlerFor(
  consumer: ConsumerSpec<Ping>,
  handle: (ping: Ping, info: JetStreamMessageInfo) => Promise<void>,
): Type {
  @Controller()
  class PingHandler {
    @JetStreamConsumer(consumer)
    async onPing(@Payload() ping: Ping, @Ctx() ctx: JetStreamContext): Promise<void> {
      await handle(ping, ctx.info);
    }
  }
  return PingHandler;
}

/** A request endpoint answering `Greeting`s; `reply` decides the answer. */
export function requestHandlerFor(
  spec: RequestSpec<Greeting, GreetingReply>,
  reply: (greeting: Greeting, info: JetStreamMessageInfo) => Promise<GreetingReply>,
): Type {
  @Controller()
  class GreetHandler {
    @NatsRequest(spec)
    onGreet(@Payload() greeting: Greeting, @Ctx() ctx: JetStreamContext): Promise<GreetingReply> {
      return reply(greeting, ctx.info);
    }
  }
  return GreetHandler;
}

/** Wraps handlers in a module, as a service's feature module would. */
export function moduleOf(...controllers: Type[]): Type {
  @Module({ controllers })
  class TestModule {}
  return TestModule;
}

export async function startMicroservice(
  messaging: Messaging,
  module: Type,
  consumers: ConsumerSpec<Ping>[],
  requests: RequestSpec<Greeting, GreetingReply>[] = [],
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, {
    strategy: new JetStreamServer({
      service: 'messaging-test',
      nats: messaging.nats,
      publisher: messaging.publisher,
      logger,
      consumers,
      requests,
    }),
    logger: false,
  });
  try {
    await app.listen();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** A separate connection for looking at the server the way an operator would. */
export class Inspector {
  private constructor(
    private readonly connection: NatsConnection,
    readonly jsm: JetStreamManager,
  ) {}

  static async connect(url: string): Promise<Inspector> {
    const connection = await connect({ servers: url });
    return new Inspector(connection, await jetstreamManager(connection));
  }

  async messageCount(stream: string, subject: string): Promise<number> {
    const info = await this.jsm.streams.info(stream, { subjects_filter: subject });
    return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  }

  /** Every stored message on subjects matching `subject`, in stream order. */
  async messages(stream: string, subject: string): Promise<StoredMsg[]> {
    const info = await this.jsm.streams.info(stream);
    const stored: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await this.jsm.streams.getMessage(stream, { seq });
      if (msg && subjectMatches(subject, msg.subject)) stored.push(msg);
    }
    return stored;
  }

  async consumerState(consumer: ConsumerSpec<Ping>) {
    const info = await this.jsm.consumers.info(consumer.event.stream.name, consumer.durable);
    return {
      ackFloor: info.ack_floor.stream_seq,
      delivered: info.delivered.stream_seq,
      ackPending: info.num_ack_pending,
      redelivered: info.num_redelivered,
      pending: info.num_pending,
    };
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** A promise with its resolve exposed, for holding a handler until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** What most transport tests stand on: a private nats-server with the test streams, and two connections. */
export interface Harness {
  server: TestNatsServer;
  messaging: Messaging;
  inspector: Inspector;
}

export async function startHarness(): Promise<Harness> {
  const server = await TestNatsServer.start();
  const messaging = await connectMessaging(server.url);
  await provisionStreams(messaging.nats);
  return { server, messaging, inspector: await Inspector.connect(server.url) };
}

/** Safe after a failed start: closes whatever was opened. */
export async function stopHarness(harness: Partial<Harness>): Promise<void> {
  await harness.inspector?.close();
  await harness.messaging?.nats.drain();
  await harness.server?.dispose();
}
