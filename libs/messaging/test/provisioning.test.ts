// Every replica provisions its streams and durable consumers at start-up; the calls must converge, not conflict.
import { TestNatsServer } from '@vigil/testing';
import { connectMessaging, Inspector, testConsumer, type Messaging } from './support.js';

const seconds = (n: number) => n * 1_000_000_000;

describe('stream and consumer provisioning', () => {
  let server: TestNatsServer;
  let replicas: Messaging[];
  let inspector: Inspector;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    replicas = await Promise.all([1, 2, 3].map((n) => connectMessaging(server.url, `replica-${n}`)));
    inspector = await Inspector.connect(server.url);
  });
  afterAll(async () => {
    await inspector?.close();
    for (const replica of replicas ?? []) await replica.nats.drain();
    await server?.dispose();
  });

  const streamSpec = (name: string) => ({
    name,
    subjects: [`${name.toLowerCase()}.>`],
    duplicateWindowMs: 60_000,
    maxAgeMs: 3_600_000,
  });

  it('creates a stream once when ensured twice, with the configured subjects, dedup window and retention', async () => {
    const spec = streamSpec('ONCE');
    await replicas[0]!.nats.ensureStream(spec);
    await replicas[0]!.nats.ensureStream(spec);

    const names = await inspector.jsm.streams.names().next();
    expect(names.filter((n) => n === 'ONCE')).toHaveLength(1);
    const { config } = await inspector.jsm.streams.info('ONCE');
    expect(config).toMatchObject({
      subjects: ['once.>'],
      duplicate_window: seconds(60),
      max_age: seconds(3_600),
    });
  });

  it('converges when every replica ensures the same stream at the same moment', async () => {
    const spec = streamSpec('RACE');
    await Promise.all(replicas.flatMap((r) => [r.nats.ensureStream(spec), r.nats.ensureStream(spec)]));

    const { config } = await inspector.jsm.streams.info('RACE');
    expect(config).toMatchObject({ subjects: ['race.>'], duplicate_window: seconds(60) });
  });

  it('updates an existing stream whose subjects, dedup window or retention changed, keeping its messages', async () => {
    const spec = streamSpec('CHANGED');
    await replicas[0]!.nats.ensureStream(spec);
    await replicas[0]!.nats.js.publish('changed.kept', 'stored before the change');

    await replicas[1]!.nats.ensureStream({
      ...spec,
      subjects: ['changed.>', 'altered.>'],
      duplicateWindowMs: 120_000,
      maxAgeMs: 7_200_000,
    });

    const { config, state } = await inspector.jsm.streams.info('CHANGED');
    expect(config).toMatchObject({
      subjects: ['changed.>', 'altered.>'],
      duplicate_window: seconds(120),
      max_age: seconds(7_200),
    });
    expect(state.messages).toBe(1);
  });

  it('creates the durable pull consumer, and its stream, once when ensured twice', async () => {
    const consumer = testConsumer('twice', { maxInFlight: 16, maxDeliver: 5, ackWaitMs: 7_000 });
    await replicas[0]!.nats.ensureConsumer(consumer);
    await replicas[0]!.nats.ensureConsumer(consumer);

    const consumers = await inspector.jsm.consumers.list('TEST').next();
    expect(consumers.filter((c) => c.name === 'twice')).toHaveLength(1);
    const { config } = await inspector.jsm.consumers.info('TEST', 'twice');
    expect(config).toMatchObject({
      durable_name: 'twice',
      filter_subject: 'test.twice.>',
      ack_policy: 'explicit',
      deliver_policy: 'all',
      ack_wait: seconds(7),
      // the server redelivers without limit; the message boundary dead-letters after maxDeliver failures
      max_deliver: -1,
    });
    expect(config.deliver_subject).toBeUndefined(); // a pull consumer
  });

  it('converges when every replica ensures the same consumer at the same moment', async () => {
    const consumer = testConsumer('concurrent');
    await Promise.all(
      replicas.flatMap((r) => [r.nats.ensureConsumer(consumer), r.nats.ensureConsumer(consumer)]),
    );

    const { config } = await inspector.jsm.consumers.info('TEST', 'concurrent');
    expect(config).toMatchObject({ durable_name: 'concurrent', filter_subject: 'test.concurrent.>' });
  });

  it('updates an existing consumer whose ack wait or max in flight changed', async () => {
    const consumer = testConsumer('retuned', { maxInFlight: 8, maxDeliver: 4, ackWaitMs: 5_000 });
    await replicas[0]!.nats.ensureConsumer(consumer);

    await replicas[1]!.nats.ensureConsumer({ ...consumer, maxInFlight: 32, maxDeliver: 6, ackWaitMs: 9_000 });

    const { config } = await inspector.jsm.consumers.info('TEST', 'retuned');
    expect(config).toMatchObject({ ack_wait: seconds(9), max_deliver: -1, max_ack_pending: 32 * 8 });
  });
});
