import { Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { JetStreamClient } from './jetstream.client.js';
import { NatsClient } from './nats-client.js';
import { JetStreamPublisher } from './publisher.js';

/** Provides the process's NATS connection, publisher and client; drains them when the app shuts down. */
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  constructor(
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(NatsClient) private readonly nats: NatsClient,
  ) {}

  static forRoot(nats: NatsClient, publisher: JetStreamPublisher): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: NatsClient, useValue: nats },
        { provide: JetStreamPublisher, useValue: publisher },
        { provide: JetStreamClient, useFactory: () => new JetStreamClient(nats, publisher) },
      ],
      exports: [NatsClient, JetStreamPublisher, JetStreamClient],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.idle();
    await this.nats.drain();
  }
}
