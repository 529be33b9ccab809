// Backpressure and shutdown: a replica never handles more than maxInFlight messages at once, and close()
// lets the ones in hand finish and ack, so the next replica never sees them again.
import type { INestMicroservice } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestNatsServer, waitFor } from '@vigil/testing';
import {
  connectMessaging,
  handlerFor,
  Inspector,
  type Messaging,
  moduleOf,
  startHarness,
  startMicroservice,
  stopHarness,
  testConsumer,
} from './support.js';

describe('JetStreamServer flow control and shutdown', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector;

  beforeAll(async () => {
    ({ server, messaging, inspector } = await startHarness());
  });
  afterAll(async () => {
    await stopHarness({ server, messaging, inspector });
  });

  it('never runs more than maxInFlight handlers at once, and does reach that many', async () => {
    const consumer = testConsumer('bounded', { maxInFlight: 4 });
    for (let i = 0; i < 40; i++)
      await messaging.publisher.publish(consumer.event, 'KE', { id: `txn-${i}` }, { msgId: `txn-${i}` });
    let running = 0;
    let mostAtOnce = 0;
    const handled = new Set<string>();

    const app = await startMicroservice(
      messaging,
      moduleOf(
        handlerFor(consumer, async (ping) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await sleep(50);
          running--;
          handled.add(ping.id);
        }),
      ),
      [consumer],
    );
    try {
      await waitFor(
        () => Promise.resolve(handled.size),
        (n) => n === 40,
        { what: 'all 40 messages handled' },
      );
    } finally {
      await app.close();
    }

    expect(mostAtOnce).toBe(4);
  });

  it('close() waits for in-flight handlers to finish and ack; the next replica gets only what the first never handled', async () => {
    const consumer = testConsumer('draining', { maxInFlight: 2, ackWaitMs: 2_000 });
    const ids = ['txn-a', 'txn-b', 'txn-c', 'txn-d', 'txn-e'];
    for (const id of ids) await messaging.publisher.publish(consumer.event, 'KE', { id }, { msgId: id });

    // the first replica: slow handlers, closed while two are in flight
    const replica = await connectMessaging(server.url, 'replica-1');
    const started: string[] = [];
    const finished: string[] = [];
    let inFlight = 0;
    const first: INestMicroservice = await startMicroservice(
      replica,
      moduleOf(
        handlerFor(consumer, async (ping) => {
          started.push(ping.id);
          inFlight++;
          await sleep(500);
          inFlight--;
          finished.push(ping.id);
        }),
      ),
      [consumer],
    );
    await waitFor(
      () => Promise.resolve(inFlight),
      (n) => n === 2,
      { what: 'two handlers in flight' },
    );
    await first.close();
    const finishedAtClose = [...finished];
    await replica.nats.drain();

    expect(finishedAtClose).toEqual(started);
    expect(finishedAtClose.length).toBeGreaterThanOrEqual(2);

    // the next replica (at-least-once: nats-server 2.9 may hand it a message it took back from the first twice)
    const seen: string[] = [];
    const next = await startMicroservice(
      messaging,
      moduleOf(
        handlerFor(consumer, (ping) => {
          seen.push(ping.id);
          return Promise.resolve();
        }),
      ),
      [consumer],
    );
    try {
      await waitFor(
        () => inspector.consumerState(consumer),
        (state) => state.pending === 0 && state.ackPending === 0,
        { what: 'every message acked' },
      );
      await sleep(2_500); // past ack wait: anything the first replica held without acking would be back
    } finally {
      await next.close();
    }

    // what the first replica finished is never seen again; the rest is delivered at least once
    expect(seen.filter((id) => finishedAtClose.includes(id))).toEqual([]);
    expect(new Set([...finishedAtClose, ...seen])).toEqual(new Set(ids));
  });
});
