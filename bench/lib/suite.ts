// The whole suite as built child processes (node services/<name>/dist/main.js) on a private nats-server and a fresh database.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { onCleanup } from './cleanup.ts';
import { NatsServer, type NatsServerBinary } from './nats.ts';
import { Managed, freePort } from './proc.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICES = ['validator', 'scorer', 'alerting', 'ingest', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A fresh database on the server at `adminUrl`, dropped on cleanup. */
export class BenchDatabase {
  readonly url: string;
  readonly name: string;
  readonly pool: pg.Pool;
  private readonly adminUrl: string;
  private dropped = false;

  private constructor(adminUrl: string, name: string) {
    this.adminUrl = adminUrl;
    this.name = name;
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    this.url = url.toString();
    this.pool = new pg.Pool({ connectionString: this.url, max: 4 });
    this.pool.on('error', () => undefined);
  }

  static async create(adminUrl: string): Promise<BenchDatabase> {
    const name = `vigil_bench_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const db = new BenchDatabase(adminUrl, name);
    onCleanup(`drop database ${name}`, () => db.drop());
    return db;
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  async drop(): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    await this.pool.end().catch(() => undefined);
    const admin = new pg.Client({ connectionString: this.adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}

export interface RunningSuite {
  nats: NatsServer;
  db: BenchDatabase;
  services: Map<ServiceName, Managed>;
  metricsPorts: Map<ServiceName, number>;
  ingestUrl: string;
  gatewayUrl: string;
  stop(): Promise<void>;
}

const SECRET = (what: string) => `vigil-bench-${what}-0123456789abcdef0123456789abcdef`;

/** `profileDir`: run every service with --cpu-prof, writing <service>.cpuprofile there when it stops. */
export async function startSuite(
  natsBinary: NatsServerBinary,
  db: BenchDatabase,
  profileDir?: string,
): Promise<RunningSuite> {
  for (const name of SERVICES) {
    const main = `${ROOT}services/${name}/dist/main.js`;
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  }
  const nats = await NatsServer.start(natsBinary, 'nats-server (suite)');
  const services = new Map<ServiceName, Managed>();
  const metricsPorts = new Map<ServiceName, number>();
  let ingestUrl = '';
  let gatewayUrl = '';
  // all five start at once: migrations are advisory-locked and nothing is published until every one is ready
  await Promise.all(
    SERVICES.map(async (name) => {
      const metrics = await freePort();
      const http = await freePort();
      metricsPorts.set(name, metrics);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        VIGIL_ENV: 'development',
        LOG_LEVEL: 'warn',
        METRICS_PORT: String(metrics),
        TOKENIZATION_KEY: SECRET('tokenization'),
        JWT_SECRET: SECRET('jwt'),
        DEMO_PASSWORD: SECRET('demo'),
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        ...(name === 'ingest' ? { INGEST_PORT: String(http), INGEST_HOST: '127.0.0.1' } : {}),
        // the gateway benchmark's 200 clients share a handful of principals: a per-principal rate limit must not
        // turn the measurement into a measurement of the limiter; the API benchmark signs in 200 times from here
        ...(name === 'gateway'
          ? {
              GATEWAY_PORT: String(http),
              GATEWAY_HOST: '127.0.0.1',
              GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: '0',
              GATEWAY_RATE_LIMIT_LOGIN_MAX: '1000',
            }
          : {}),
      };
      if (name === 'ingest') ingestUrl = `http://127.0.0.1:${http}`;
      if (name === 'gateway') gatewayUrl = `http://127.0.0.1:${http}`;
      const main = `${ROOT}services/${name}/dist/main.js`;
      const profile = profileDir
        ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`]
        : [];
      const service = new Managed(name, process.execPath, [...profile, main], env);
      services.set(name, service);
      await waitReady(service, metrics);
    }),
  );
  return {
    nats,
    db,
    services,
    metricsPorts,
    ingestUrl,
    gatewayUrl,
    async stop() {
      // the public entry first, then upstream before downstream, so each drains what it holds
      for (const name of ['gateway', 'ingest', 'validator', 'scorer', 'alerting'] as const)
        await services.get(name)?.stop();
      await nats.stop();
    },
  };
}

async function waitReady(service: Managed, port: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (!service.alive)
      throw new Error(`${service.name} exited during start-up:\n${service.tail.slice(-20).join('\n')}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${service.name} not ready after 90 s:\n${service.tail.slice(-20).join('\n')}`);
}

/** Sums of the delivery-to-ack histogram per consumer, from a service's /metrics. */
export async function handleTimes(port: number): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const found = new Map<string, { sum: number; count: number }>();
  for (const match of text.matchAll(
    /^vigil_message_handle_seconds_(sum|count)\{[^}]*consumer="([^"]+)"[^}]*\} (\S+)$/gm,
  )) {
    const entry = found.get(match[2]!) ?? { sum: 0, count: 0 };
    entry[match[1] as 'sum' | 'count'] = Number(match[3]);
    found.set(match[2]!, entry);
  }
  return found;
}

/**
 * The Postgres server processes that work for this run: backends connected to the bench database plus the
 * shared background processes (WAL writer, checkpointer, ...); other databases' backends are left out.
 */
export async function postgresPids(db: BenchDatabase): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR backend_type <> 'client backend'`,
  );
  return rows.map((r) => r.pid);
}

/** Transactions committed in the bench database so far (pg_stat_database.xact_commit; backends report when idle). */
export async function committedTransactions(db: BenchDatabase): Promise<number> {
  const [stats] = await db.query<{ xact_commit: string }>(
    `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(stats?.xact_commit ?? 0);
}
