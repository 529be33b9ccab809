// What every service process starts with: logs, traces, the ops port, NATS, and its own migrated schema.
import { Streams } from '@vigil/contracts';
import { Database, migrate, type DatabaseOptions } from '@vigil/db';
import { JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { OpsServer, createLogger, startTelemetry, type Logger } from '@vigil/observability';
import { natsTlsFiles, telemetryOptions, type CommonEnv } from './env.js';

export interface PlatformOptions {
  service: string;
  env: CommonEnv;
  /** Folder of the service's .sql migrations; its schema is named after the service. */
  migrationsDir?: string;
  /** Set to false where another process already migrated (tests that restart a service). */
  runMigrations?: boolean;
  /** The pool's size, acquire deadline and statement timeout, where the service configures them. */
  database?: Pick<DatabaseOptions, 'maxConnections' | 'acquireTimeoutMs' | 'statementTimeoutMs'>;
}

export class Platform {
  private started = false;

  private constructor(
    readonly service: string,
    readonly logger: Logger,
    readonly ops: OpsServer,
    readonly nats: NatsClient,
    readonly publisher: JetStreamPublisher,
    readonly db: Database,
  ) {}

  static async start(options: PlatformOptions): Promise<Platform> {
    const { service, env } = options;
    startTelemetry(telemetryOptions(service, env));
    const logger = createLogger(service, env.LOG_LEVEL);
    if (options.migrationsDir && options.runMigrations !== false) {
      const applied = await migrate({
        databaseUrl: env.DATABASE_URL,
        schema: service,
        dir: options.migrationsDir,
      });
      if (applied.length > 0) logger.info({ migrations: applied }, 'database schema migrated');
    }
    const db = new Database({ ...options.database, url: env.DATABASE_URL, service });
    const nats = await NatsClient.connect({
      url: env.NATS_URL,
      name: service,
      logger,
      tls: natsTlsFiles(env),
    });
    // every stream exists before anything publishes: a subject without a stream loses nothing, it just fails
    for (const stream of Object.values(Streams)) await nats.ensureStream(stream);
    const ops = new OpsServer(service);
    const publisher = new JetStreamPublisher(nats, { registry: ops.registry });
    ops.addReadinessCheck('nats', () => nats.ping());
    ops.addReadinessCheck('postgres', () => db.ping());
    const platform = new Platform(service, logger, ops, nats, publisher, db);
    // not ready until its own entry points listen: a probe must not send traffic to a port still closed
    ops.addReadinessCheck('started', () =>
      platform.started ? Promise.resolve() : Promise.reject(new Error('starting')),
    );
    const port = await ops.listen(env.METRICS_PORT);
    logger.info({ port }, 'metrics and health listening');
    return platform;
  }

  /** The service's HTTP port and consumers are up: readiness may now pass. */
  markStarted(): void {
    this.started = true;
  }

  /** Call after the Nest app has closed (consumers drained): flushes writers, then closes connections. */
  async close(): Promise<void> {
    await this.publisher.idle();
    await this.nats.drain().catch(() => undefined);
    await this.db.close();
    await this.ops.close();
  }
}

export interface RunningService {
  /** Where the service's HTTP API listens, when it has one. */
  url?: string;
  platform: Platform;
  close(): Promise<void>;
}

/** A process without the platform (no NATS, no Postgres), such as the gateway's edge. */
export interface RunningProcess {
  url?: string;
  logger: Logger;
  close(): Promise<void>;
}

/** Within Kubernetes' default 30 s termination grace period. */
const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Runs a service until SIGTERM or SIGINT, then shuts it down in order; a second signal exits at once,
 * and so does a shutdown that takes longer than SHUTDOWN_TIMEOUT_MS.
 */
export async function runUntilSignalled(
  start: () => Promise<RunningService | RunningProcess>,
): Promise<void> {
  let running: RunningService | RunningProcess;
  try {
    running = await start();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const logger = 'platform' in running ? running.platform.logger : running.logger;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // draining needs NATS and Postgres; if either is gone for good, give up rather than hang
    setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown did not finish in time');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
