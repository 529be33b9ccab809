// Starts the whole suite against a private nats-server and a fresh database: each service in this
// process (fast, traces visible to an in-memory exporter) or as a child process (killable, logs captured).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestDatabase, TestNatsServer, freePort, type TestPostgresServer } from '@vigil/testing';
import type { RunningService } from '@vigil/runtime';
import { startAlerting } from '../../services/alerting/src/app.js';
import { startGateway } from '../../services/gateway/src/app.js';
import { startIngest } from '../../services/ingest/src/app.js';
import { startScorer } from '../../services/scorer/src/app.js';
import { startValidator } from '../../services/validator/src/app.js';
import { alertingEnv } from '../../services/alerting/src/config.js';
import { gatewayEnv } from '../../services/gateway/src/config.js';
import { ingestEnv } from '../../services/ingest/src/config.js';
import { scorerEnv } from '../../services/scorer/src/config.js';
import { validatorEnv } from '../../services/validator/src/config.js';

export const SERVICES = ['validator', 'scorer', 'alerting', 'ingest', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type Mode = 'in-process' | 'child-process';

export const DEMO_PASSWORD = 'suite-demo-password-0001';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;

const starters: Record<ServiceName, (env: never) => Promise<RunningService>> = {
  validator: startValidator,
  scorer: startScorer,
  alerting: startAlerting,
  ingest: startIngest,
  gateway: startGateway,
};

/** A service running as a child process: its output is kept so tests can search it. */
export class ServiceProcess {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    readonly name: ServiceName,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<void> {
    const main = `${ROOT}services/${this.name}/dist/main.js`;
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const child = spawn(NODE, [main], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => this.output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitReady(
      Number(this.env.METRICS_PORT),
      () => child.exitCode !== null,
      () => this.output.slice(-20).join('\n'),
    );
  }

  /** Still the process started first: it has not exited (a crash or restart would show here). */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: no shutdown hook runs, in-flight work is simply cut off. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

async function waitReady(port: number, dead: () => boolean, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (dead()) throw new Error(`service exited during start-up:\n${output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`service on ${port} not ready:\n${output()}`);
}

export interface SuiteOptions {
  modes?: Partial<Record<ServiceName, Mode>>;
  webhookUrl?: string;
  logLevel?: string;
  /** A private PostgreSQL server (restartable) instead of the shared one. */
  postgres?: TestPostgresServer;
  /** Extra environment per service, e.g. a higher rate limit for a load test. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Start only these services (default: all of them). */
  services?: readonly ServiceName[];
}

export class Suite {
  readonly running = new Map<ServiceName, RunningService | ServiceProcess>();
  /** Each service's ops port (/metrics, /health/*). */
  readonly metricsPorts = new Map<ServiceName, number>();
  gatewayUrl = '';
  ingestUrl = '';

  private constructor(
    readonly nats: TestNatsServer,
    readonly db: TestDatabase,
    private readonly options: SuiteOptions,
  ) {}

  static async start(options: SuiteOptions = {}): Promise<Suite> {
    const database = await TestDatabase.create(options.postgres?.adminUrl);
    const suite = new Suite(await TestNatsServer.start(), database, options);
    // all at once, as npm start starts them: each migrates its own schema and provisions what it consumes
    const started = await Promise.allSettled(
      (options.services ?? SERVICES).map((name) => suite.startService(name)),
    );
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure) {
      await suite.stop().catch(() => undefined);
      throw failure.reason;
    }
    return suite;
  }

  envFor(name: ServiceName, ports: { http: number; metrics: number }): Record<string, string> {
    return {
      NATS_URL: this.nats.url,
      DATABASE_URL: this.db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: this.options.logLevel ?? process.env.SUITE_LOG_LEVEL ?? 'warn',
      METRICS_PORT: String(ports.metrics),
      TOKENIZATION_KEY: 'suite-tokenization-key-0123456789abcdef',
      JWT_SECRET: 'suite-jwt-secret-0123456789abcdef0123456789',
      DEMO_PASSWORD,
      ...(name === 'ingest' ? { INGEST_PORT: String(ports.http), INGEST_HOST: '127.0.0.1' } : {}),
      ...(name === 'gateway' ? { GATEWAY_PORT: String(ports.http), GATEWAY_HOST: '127.0.0.1' } : {}),
      // a restarted scorer waits this long for the leases of the one it replaces
      ...(name === 'scorer' ? { SCORER_LEASE_TTL_MS: '2000' } : {}),
      ...(this.options.webhookUrl ? { ALERT_WEBHOOK_URL: this.options.webhookUrl } : {}),
      ...this.options.env?.[name],
    };
  }

  async startService(name: ServiceName): Promise<void> {
    const ports = { http: await freePort(), metrics: await freePort() };
    const env = this.envFor(name, ports);
    this.metricsPorts.set(name, ports.metrics);
    if ((this.options.modes?.[name] ?? 'in-process') === 'child-process') {
      const child = new ServiceProcess(name, env);
      await child.start();
      this.running.set(name, child);
    } else {
      const { parse } = configParsers[name];
      const service = await starters[name](parse(env) as never);
      this.running.set(name, service);
    }
    if (name === 'gateway') this.gatewayUrl = `http://127.0.0.1:${ports.http}`;
    if (name === 'ingest') this.ingestUrl = `http://127.0.0.1:${ports.http}`;
  }

  process(name: ServiceName): ServiceProcess {
    const running = this.running.get(name);
    if (!(running instanceof ServiceProcess)) throw new Error(`${name} is not a child process`);
    return running;
  }

  /** Every line the child-process services printed. */
  logs(): string[] {
    return [...this.running.values()].flatMap((r) => (r instanceof ServiceProcess ? r.output : []));
  }

  async stop(): Promise<void> {
    for (const name of [...SERVICES].reverse()) {
      const running = this.running.get(name);
      if (running instanceof ServiceProcess) await running.stop();
      else await running?.close();
    }
    await this.nats.dispose();
    await this.db.drop();
  }
}

const configParsers: Record<ServiceName, { parse: (env: NodeJS.ProcessEnv) => unknown }> = {
  validator: { parse: validatorEnv },
  scorer: { parse: scorerEnv },
  alerting: { parse: alertingEnv },
  ingest: { parse: ingestEnv },
  gateway: { parse: gatewayEnv },
};
