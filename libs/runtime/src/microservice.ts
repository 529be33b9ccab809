// Starts a Nest app whose only entry points are JetStream consumers and NATS requests.
import { NestFactory } from '@nestjs/core';
import type { ConsumerSpec, RequestSpec } from '@vigil/contracts';
import { JetStreamServer } from '@vigil/messaging';
import type { DynamicModule, INestMicroservice, Type } from '@nestjs/common';
import type { Platform, RunningService } from './platform.js';
import { PinoNestLogger } from './platform.module.js';

export interface MicroserviceOptions {
  platform: Platform;
  module: Type | DynamicModule;
  consumers: ConsumerSpec<unknown>[];
  requests?: RequestSpec<unknown, unknown>[];
}

export function jetStreamServerFor(options: Omit<MicroserviceOptions, 'module'>): JetStreamServer {
  const { platform } = options;
  return new JetStreamServer({
    service: platform.service,
    nats: platform.nats,
    publisher: platform.publisher,
    logger: platform.logger,
    consumers: options.consumers,
    requests: options.requests,
    registry: platform.ops.registry,
  });
}

export async function startMicroservice(options: MicroserviceOptions): Promise<RunningService> {
  const app: INestMicroservice = await NestFactory.createMicroservice(options.module, {
    strategy: jetStreamServerFor(options),
    logger: new PinoNestLogger(options.platform.logger),
  });
  await app.listen();
  options.platform.markStarted();
  options.platform.logger.info('consuming');
  return {
    platform: options.platform,
    close: async () => {
      await app.close();
      await options.platform.close();
    },
  };
}
