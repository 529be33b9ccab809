import { Module, type DynamicModule, type LoggerService } from '@nestjs/common';
import { Database } from '@vigil/db';
import { JetStreamClient, JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import type { Platform } from './platform.js';

/** Injection token for the service's pino logger. */
export const LOGGER = Symbol('LOGGER');

/** Makes the process's platform (db, NATS, ops, logger) injectable; the platform, not Nest, closes them. */
@Module({})
export class PlatformModule {
  static forRoot(platform: Platform): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      providers: [
        { provide: Database, useValue: platform.db },
        { provide: NatsClient, useValue: platform.nats },
        { provide: JetStreamPublisher, useValue: platform.publisher },
        {
          provide: JetStreamClient,
          useFactory: () => new JetStreamClient(platform.nats, platform.publisher, platform.ops.registry),
        },
        { provide: OpsServer, useValue: platform.ops },
        { provide: LOGGER, useValue: platform.logger },
      ],
      exports: [Database, NatsClient, JetStreamPublisher, JetStreamClient, OpsServer, LOGGER],
    };
  }
}

/** Routes Nest's own log lines into the service's JSON log. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
