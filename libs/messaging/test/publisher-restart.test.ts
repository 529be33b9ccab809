// NATS restarting under a steady stream of publishes: each publish resolves, and each message is stored once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PublishResult } from '../src/index.js';
import { TestNatsServer, waitFor } from '@vigil/testing';
import {
  connectMessaging,
  Inspector,
  provisionStreams,
  testEvent,
  testStream,
  type Messaging,
} from './support.js';

const MESSAGES = 300;

describe('JetStreamPublisher while the NATS server restarts', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector | undefined;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    messaging = await connectMessaging(server.url);
    await provisionStreams(messaging.nats);
  });
  afterAll(async () => {
    await inspector?.close();
    await messaging?.nats.drain();
    await server?.dispose();
  });

  it('eventually stores every message exactly once', async () => {
    const event = testEvent('restart');
    const publishes: Promise<PublishResult>[] = [];
    const publishing = (async () => {
      for (let i = 0; i < MESSAGES; i++) {
        const id = `txn-${i}`;
        publishes.push(messaging.publisher.publish(event, 'KE', { id }, { msgId: id, timeoutMs: 15_000 }));
        await sleep(5);
      }
    })();

    await waitFor(
      () => Promise.resolve(publishes.length),
      (n) => n >= MESSAGES / 3,
    );
    await server.stop();
    await sleep(500);
    await server.restart();
    await publishing;
    const results = await Promise.all(publishes);

    inspector = await Inspector.connect(server.url);
    const stored = await inspector.messages(testStream.name, 'test.restart.>');
    const ids = stored.map((m) => m.header.get('Nats-Msg-Id'));
    expect(stored).toHaveLength(MESSAGES);
    expect(new Set(ids).size).toBe(MESSAGES);
    expect(new Set(results.map((r) => r.seq)).size).toBe(MESSAGES);
  });
});
