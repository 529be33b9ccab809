// What happens to each message a JetStreamServer consumer receives: ack after success, dead letter for what can
// never succeed, redelivery with backoff for what might, and a dead letter once the deliveries run out.
import type { INestMicroservice } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Headers, Streams, deadLetterSubject, type ConsumerSpec } from '@vigil/contracts';
import { TestNatsServer, waitFor } from '@vigil/testing';
import { PermanentError, TransientError, type JetStreamMessageInfo } from '../src/index.js';
import {
  deferred,
  handlerFor,
  Inspector,
  type Messaging,
  moduleOf,
  type Ping,
  startHarness,
  startMicroservice,
  stopHarness,
  testConsumer,
} from './support.js';

describe('JetStreamServer consumer delivery', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector;
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    ({ server, messaging, inspector } = await startHarness());
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await stopHarness({ server, messaging, inspector });
  });

  /** Starts a microservice whose only handler is `handle`, recording every delivery it sees. */
  async function serve(
    consumer: ConsumerSpec<Ping>,
    handle: (ping: Ping, info: JetStreamMessageInfo) => Promise<void>,
  ): Promise<{ ping: Ping; info: JetStreamMessageInfo; at: number }[]> {
    const deliveries: { ping: Ping; info: JetStreamMessageInfo; at: number }[] = [];
    app = await startMicroservice(
      messaging,
      moduleOf(
        handlerFor(consumer, async (ping, info) => {
          deliveries.push({ ping, info, at: performance.now() });
          await handle(ping, info);
        }),
      ),
      [consumer],
    );
    return deliveries;
  }

  const publish = async (consumer: ConsumerSpec<Ping>, ping: Ping) =>
    (await messaging.publisher.publish(consumer.event, 'KE', ping, { msgId: ping.id })).seq;

  const deadLetters = (consumer: ConsumerSpec<Ping>) =>
    inspector.messages(Streams.deadLetters.name, deadLetterSubject(consumer.durable));

  const waitForDeadLetter = async (consumer: ConsumerSpec<Ping>) =>
    (
      await waitFor(
        () => deadLetters(consumer),
        (stored) => stored.length > 0,
        { what: `a dead letter from ${consumer.durable}`, timeoutMs: 10_000 },
      )
    )[0]!;

  const waitForAcked = (consumer: ConsumerSpec<Ping>, seq: number) =>
    waitFor(
      () => inspector.consumerState(consumer),
      (state) => state.ackFloor >= seq && state.ackPending === 0,
      { what: `${consumer.durable} to ack stream sequence ${seq}`, timeoutMs: 10_000 },
    );

  it('acks only after the handler resolves: the ack floor advances then, and the message is not redelivered', async () => {
    const consumer = testConsumer('acks', { ackWaitMs: 1_000 });
    const gate = deferred();
    const deliveries = await serve(consumer, () => gate.promise);

    const seq = await publish(consumer, { id: 'txn-ack' });
    await waitFor(
      () => Promise.resolve(deliveries.length),
      (n) => n === 1,
    );
    const whileHandling = await inspector.consumerState(consumer);
    expect(whileHandling.ackPending).toBe(1);
    expect(whileHandling.ackFloor).toBeLessThan(seq);

    gate.resolve();
    await waitForAcked(consumer, seq);
    await sleep(1_500); // longer than ack wait: an unacked message would be back by now
    expect(deliveries.map((d) => d.ping.id)).toEqual(['txn-ack']);
    expect(await inspector.consumerState(consumer)).toMatchObject({ ackPending: 0, redelivered: 0 });
  });

  it('dead-letters the original payload with the reason when the handler throws PermanentError, and never redelivers it', async () => {
    const consumer = testConsumer('permanent');
    const deliveries = await serve(consumer, () => Promise.reject(new PermanentError('amount is negative')));

    const seq = await publish(consumer, { id: 'txn-perm', note: 'kept byte for byte' });
    const deadLetter = await waitForDeadLetter(consumer);

    expect(deadLetter.json()).toEqual({ id: 'txn-perm', note: 'kept byte for byte' });
    expect(deadLetter.header.get(Headers.deadLetterReason)).toBe('amount is negative');
    expect(deadLetter.header.get(Headers.deadLetterSubject)).toBe('test.permanent.KE');
    expect(deadLetter.header.get(Headers.deadLetterDeliveries)).toBe('1');
    await waitForAcked(consumer, seq);
    await sleep(600); // past the first retry's backoff
    expect(deliveries).toHaveLength(1);
  });

  it('dead-letters a payload that is not JSON, saying so, without calling the handler', async () => {
    const consumer = testConsumer('not-json');
    const deliveries = await serve(consumer, () => Promise.resolve());

    const ack = await messaging.nats.js.publish(consumer.event.subject('KE'), '{"id": "txn-trunc');
    const deadLetter = await waitForDeadLetter(consumer);

    expect(deadLetter.string()).toBe('{"id": "txn-trunc');
    expect(deadLetter.header.get(Headers.deadLetterReason)).toBe('payload is not JSON');
    await waitForAcked(consumer, ack.seq);
    expect(deliveries).toHaveLength(0);
  });

  it('dead-letters a payload that breaks the event schema, naming the event and the field, without calling the handler', async () => {
    const consumer = testConsumer('bad-shape');
    const deliveries = await serve(consumer, () => Promise.resolve());

    const ack = await messaging.nats.js.publish(consumer.event.subject('KE'), JSON.stringify({ id: 42 }));
    const deadLetter = await waitForDeadLetter(consumer);

    expect(deadLetter.json()).toEqual({ id: 42 });
    expect(deadLetter.header.get(Headers.deadLetterReason)).toBe(
      'payload does not match test.bad-shape: id must be string',
    );
    await waitForAcked(consumer, ack.seq);
    expect(deliveries).toHaveLength(0);
  });

  it('redelivers a message after a transient failure once the backoff has passed, then acks it', async () => {
    const consumer = testConsumer('transient');
    const deliveries = await serve(consumer, (_ping, info) =>
      info.deliveryCount === 1 ? Promise.reject(new Error('database is away')) : Promise.resolve(),
    );

    const seq = await publish(consumer, { id: 'txn-retry' });
    await waitForAcked(consumer, seq);

    expect(deliveries.map((d) => d.info.deliveryCount)).toEqual([1, 2]);
    const [first, second] = deliveries as [(typeof deliveries)[0], (typeof deliveries)[0]];
    expect(second.at - first.at).toBeGreaterThanOrEqual(240); // backoffMs(1) = 250 ms, timers are not exact
    expect(await deadLetters(consumer)).toHaveLength(0);
  });

  it("dead-letters a message that keeps failing transiently after max deliver attempts, with 'gave up after N deliveries'", async () => {
    const consumer = testConsumer('exhausted', { maxDeliver: 3 });
    const deliveries = await serve(consumer, () => Promise.reject(new TransientError('database is away')));

    const seq = await publish(consumer, { id: 'txn-exhausted' });
    const deadLetter = await waitForDeadLetter(consumer);

    expect(deadLetter.json()).toEqual({ id: 'txn-exhausted' });
    expect(deadLetter.header.get(Headers.deadLetterReason)).toBe(
      'gave up after 3 deliveries: database is away',
    );
    expect(deadLetter.header.get(Headers.deadLetterDeliveries)).toBe('3');
    await waitForAcked(consumer, seq);
    await sleep(1_200); // past the next backoff (1 s): nothing comes back after the dead letter
    expect(deliveries.map((d) => d.info.deliveryCount)).toEqual([1, 2, 3]);
  });
});
