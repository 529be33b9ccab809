// Publishing is idempotent per (event type, msg id): a retried publish is stored once, distinct events never collide.
import { TestNatsServer } from '@vigil/testing';
import { Inspector, type Messaging, startHarness, stopHarness, testEvent, testStream } from './support.js';

describe('JetStreamPublisher', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector;

  beforeAll(async () => {
    ({ server, messaging, inspector } = await startHarness());
  });
  afterAll(async () => {
    await stopHarness({ server, messaging, inspector });
  });

  it('stores a message published twice with the same msg id once; the second PubAck says duplicate', async () => {
    const event = testEvent('dedup');

    const first = await messaging.publisher.publish(event, 'KE', { id: 'txn-1' }, { msgId: 'txn-1' });
    const second = await messaging.publisher.publish(event, 'KE', { id: 'txn-1' }, { msgId: 'txn-1' });

    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ duplicate: true, seq: first.seq });
    expect(await inspector.messageCount(testStream.name, 'test.dedup.>')).toBe(1);
  });

  it('stores both messages when two event types in one stream use the same msg id', async () => {
    const accepted = testEvent('accepted');
    const scored = testEvent('scored');

    const a = await messaging.publisher.publish(accepted, 'KE', { id: 'txn-2' }, { msgId: 'txn-2' });
    const b = await messaging.publisher.publish(scored, 'KE', { id: 'txn-2' }, { msgId: 'txn-2' });

    expect([a.duplicate, b.duplicate]).toEqual([false, false]);
    expect(await inspector.messageCount(testStream.name, 'test.accepted.>')).toBe(1);
    expect(await inspector.messageCount(testStream.name, 'test.scored.>')).toBe(1);
  });

  it('refuses a payload that breaks its event schema, naming the problem, and stores nothing', async () => {
    const event = testEvent('invalid');

    await expect(
      messaging.publisher.publish(event, 'KE', { id: 7 } as never, { msgId: 'txn-3' }),
    ).rejects.toThrow(/refusing to publish an invalid test\.invalid: id must be string/);
    expect(await inspector.messageCount(testStream.name, 'test.invalid.>')).toBe(0);
  });
});
