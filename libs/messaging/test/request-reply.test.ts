// NATS request/reply endpoints: answered through JetStreamClient.request; a bad request is a 400, a failing
// dependency a 503, always as a reply rather than a timeout.
import type { INestMicroservice } from '@nestjs/common';
import { compile } from '@vigil/contracts';
import { TestNatsServer } from '@vigil/testing';
import { JetStreamClient, PermanentError, RemoteRequestError, TransientError } from '../src/index.js';
import {
  connectMessaging,
  greetRequest,
  moduleOf,
  requestHandlerFor,
  startMicroservice,
  type Greeting,
  type Messaging,
} from './support.js';

describe('JetStreamServer request/reply', () => {
  let server: TestNatsServer;
  let service: Messaging;
  let caller: Messaging;
  let client: JetStreamClient;
  let app: INestMicroservice;
  const handled: string[] = [];

  beforeAll(async () => {
    server = await TestNatsServer.start();
    service = await connectMessaging(server.url, 'greeter');
    caller = await connectMessaging(server.url, 'caller');
    client = new JetStreamClient(caller.nats, caller.publisher);
    app = await startMicroservice(
      service,
      moduleOf(
        requestHandlerFor(greetRequest, ({ name }) => {
          handled.push(name);
          if (name === 'nobody') return Promise.reject(new PermanentError('nobody is not a name'));
          if (name === 'conflict') return Promise.reject(new PermanentError('conflict is taken', 409));
          if (name === 'later') return Promise.reject(new TransientError('greeting store is away'));
          if (name === 'crash') return Promise.reject(new Error('unexpected'));
          return Promise.resolve({ greeting: `hello ${name}` });
        }),
      ),
      [],
      [greetRequest],
    );
  });
  afterAll(async () => {
    await app?.close();
    await service?.nats.drain();
    await caller?.nats.drain();
    await server?.dispose();
  });

  it("answers a valid request with the handler's reply", async () => {
    await expect(client.request(greetRequest, { name: 'Wanjiru' })).resolves.toEqual({
      greeting: 'hello Wanjiru',
    });
  });

  it('answers a request that breaks the request schema with a 400 naming the field, without calling the handler', async () => {
    handled.length = 0;
    await expect(client.request(greetRequest, {} as Greeting)).rejects.toEqual(
      new RemoteRequestError(400, 'name is required'),
    );
    await expect(client.request(greetRequest, { name: 'x', extra: 1 } as Greeting)).rejects.toMatchObject({
      status: 400,
      message: 'extra is not allowed',
    });
    expect(handled).toEqual([]);
  });

  it('answers a request that is not JSON with a 400', async () => {
    const reply = await caller.nats.connection.request(greetRequest.subject, 'name=Wanjiru', {
      timeout: 5_000,
    });
    expect(reply.json()).toEqual({ error: { status: 400, message: 'request is not JSON' } });
  });

  it('answers a PermanentError with its status (400 unless given) and any other failure with a 503, carrying the message', async () => {
    await expect(client.request(greetRequest, { name: 'nobody' })).rejects.toMatchObject({
      status: 400,
      message: 'nobody is not a name',
    });
    await expect(client.request(greetRequest, { name: 'conflict' })).rejects.toMatchObject({
      status: 409,
      message: 'conflict is taken',
    });
    await expect(client.request(greetRequest, { name: 'later' })).rejects.toMatchObject({
      status: 503,
      message: 'greeting store is away',
    });
    await expect(client.request(greetRequest, { name: 'crash' })).rejects.toMatchObject({
      status: 503,
      message: 'unexpected',
    });
    await expect(client.request(greetRequest, { name: 'crash' })).rejects.toBeInstanceOf(RemoteRequestError);
  });

  it('rejects a reply that breaks the reply schema instead of handing it on', async () => {
    const expectingFarewell = {
      ...greetRequest,
      validateReply: compile<{ farewell: string }>({
        type: 'object',
        required: ['farewell'],
        properties: { farewell: { type: 'string' } },
      }),
    };
    await expect(client.request(expectingFarewell, { name: 'Wanjiru' })).rejects.toThrow(
      'invalid reply from testsvc.greet: farewell is required',
    );
  });
});
