// A service whose declared consumers and handlers disagree must not start: a silent mismatch loses messages.
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { TestNatsServer } from '@vigil/testing';
import { JetStreamConsumer, NatsRequest } from '../src/index.js';
import {
  type GreetingReply,
  greetRequest,
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

describe('JetStreamServer start-up checks', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let inspector: Inspector;

  beforeAll(async () => {
    ({ server, messaging, inspector } = await startHarness());
  });
  afterAll(async () => {
    await stopHarness({ server, messaging, inspector });
  });

  const consumerNames = async () => (await inspector.jsm.consumers.list('TEST').next()).map((c) => c.name);
  const noop = () => Promise.resolve();

  it('fails when a declared consumer has no handler, naming it, before provisioning anything', async () => {
    const handled = testConsumer('handled-a');
    const orphan = testConsumer('orphan-a');

    await expect(
      startMicroservice(messaging, moduleOf(handlerFor(handled, noop)), [handled, orphan]),
    ).rejects.toThrow('messaging-test: no handler for "orphan-a"');
    expect(await consumerNames()).not.toContain('handled-a');
  });

  it('fails when a handler has no declared consumer, naming it', async () => {
    const declared = testConsumer('declared-b');
    const undeclared = testConsumer('undeclared-b');

    await expect(
      startMicroservice(messaging, moduleOf(handlerFor(declared, noop), handlerFor(undeclared, noop)), [
        declared,
      ]),
    ).rejects.toThrow(
      `messaging-test: handler for "undeclared-b" is not declared in this service's consumers`,
    );
    expect(await consumerNames()).not.toContain('declared-b');
  });

  it('fails when two handlers share one consumer, naming it', async () => {
    const shared = testConsumer('shared-c');
    @Controller()
    class SecondHandler {
      @JetStreamConsumer(shared)
      onPing(@Payload() _ping: Ping): Promise<void> {
        return Promise.resolve();
      }
    }

    await expect(
      startMicroservice(messaging, moduleOf(handlerFor(shared, noop), SecondHandler), [shared]),
    ).rejects.toThrow('messaging-test: "shared-c" has more than one handler');
    expect(await consumerNames()).not.toContain('shared-c');
  });

  it('fails when two request handlers answer one subject, naming it', async () => {
    @Controller()
    class FirstGreeter {
      @NatsRequest(greetRequest)
      greet(): Promise<GreetingReply> {
        return Promise.resolve({ greeting: 'one' });
      }
    }
    @Controller()
    class SecondGreeter {
      @NatsRequest(greetRequest)
      greet(): Promise<GreetingReply> {
        return Promise.resolve({ greeting: 'two' });
      }
    }
    await expect(
      startMicroservice(messaging, moduleOf(FirstGreeter, SecondGreeter), [], [greetRequest]),
    ).rejects.toThrow(`messaging-test: "${greetRequest.subject}" has more than one handler`);
  });

  it('starts and provisions the consumer when declarations and handlers match one to one, and closes at once', async () => {
    const matched = testConsumer('matched-d');

    const app = await startMicroservice(messaging, moduleOf(handlerFor(matched, noop)), [matched]);
    await app.close(); // straight after start, before the consumer is pulling: used to hang forever

    expect(await consumerNames()).toContain('matched-d');
  }, 10_000);
});
