// A message that must be dead-lettered is never dropped: while the dead letter cannot be stored it stays in its
// stream and comes back, and is dead-lettered once the dead-letter stream is there again.
import type { INestMicroservice } from '@nestjs/common';
import { Headers, Streams, deadLetterSubject } from '@vigil/contracts';
import { TestNatsServer, waitFor } from '@vigil/testing';
import { PermanentError } from '../src/index.js';
import {
  handlerFor,
  Inspector,
  type Messaging,
  moduleOf,
  startHarness,
  startMicroservice,
  stopHarness,
  testConsumer,
} from './support.js';

describe('dead letters while the dead-letter stream is missing', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector;
  let app: INestMicroservice | undefined;

  beforeAll(async () => {
    ({ server, messaging, inspector } = await startHarness());
  });
  afterAll(async () => {
    await app?.close();
    await stopHarness({ server, messaging, inspector });
  });

  it('naks the message instead of dropping it, and dead-letters it once the stream is back', async () => {
    const consumer = testConsumer('no-dead-letters', { maxDeliver: 5, ackWaitMs: 20_000 });
    const deliveries: number[] = [];
    app = await startMicroservice(
      messaging,
      moduleOf(
        handlerFor(consumer, (_ping, info) => {
          deliveries.push(info.deliveryCount);
          return Promise.reject(new PermanentError('amount is negative'));
        }),
      ),
      [consumer],
    );
    await inspector.jsm.streams.delete(Streams.deadLetters.name);

    const { seq } = await messaging.publisher.publish(
      consumer.event,
      'KE',
      { id: 'txn-kept' },
      { msgId: 'txn-kept' },
    );
    // the dead-letter publish retries for 5 s, then the message is handed back rather than terminated
    await waitFor(
      () => Promise.resolve(deliveries.length),
      (n) => n === 2,
      { what: 'the message to come back', timeoutMs: 10_000 },
    );
    await messaging.nats.ensureStream(Streams.deadLetters);

    const [deadLetter] = await waitFor(
      () => inspector.messages(Streams.deadLetters.name, deadLetterSubject(consumer.durable)),
      (stored) => stored.length === 1,
      { what: 'the dead letter', timeoutMs: 10_000 },
    );
    expect(deadLetter?.json()).toEqual({ id: 'txn-kept' });
    expect(deadLetter?.header.get(Headers.deadLetterDeliveries)).toBe('2');
    await waitFor(
      () => inspector.consumerState(consumer),
      (state) => state.ackFloor >= seq,
      { what: 'the message to be terminated' },
    );
    expect(deliveries).toEqual([1, 2]);
  });
});
