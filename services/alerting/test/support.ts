// Alerting against a private nats-server and a fresh database: in-process replicas (or a child process that
// can be killed), the policy applied through the KV document store, and real HTTP receivers that record requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AlertingDocuments,
  Events,
  type AlertNotification,
  type AlertingPolicy,
  type RequestSpec,
  type TransactionScored,
} from '@vigil/contracts';
import { DocumentStore, JetStreamClient, JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, freePort, newTransaction, waitFor } from '@vigil/testing';
import { startAlerting } from '../src/app.js';
import type { AlertingOverrides } from '../src/app.module.js';
import { Clock } from '../src/clock/clock.js';
import { alertingEnv } from '../src/config.js';

export const logger = createLogger('alerting-test', 'silent');
export const WEBHOOK_SECRET = 'alerting-test-webhook-secret-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A clock the test moves by hand. */
export class ManualClock extends Clock {
  constructor(private at: Date) {
    super();
  }
  override now(): Date {
    return new Date(this.at);
  }
  set(at: Date): void {
    this.at = at;
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: unknown;
  at: number;
}

/** A real HTTP endpoint (a customer's webhook, an SMS provider) answering with the statuses it is told to. */
export class HttpRecorder {
  readonly received: ReceivedRequest[] = [];
  /** Every request gets a status from here in turn; the last one repeats. */
  statuses: number[] = [204];
  hits = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(path = '/hook'): Promise<HttpRecorder> {
    const box: { recorder?: HttpRecorder } = {};
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const recorder = box.recorder!;
        const status = recorder.statuses[Math.min(recorder.hits, recorder.statuses.length - 1)]!;
        recorder.hits++;
        if (status < 300)
          recorder.received.push({
            path: req.url ?? '',
            headers: req.headers,
            raw,
            body: JSON.parse(raw) as unknown,
            at: Date.now(),
          });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    box.recorder = new HttpRecorder(server, `http://127.0.0.1:${port}${path}`);
    return box.recorder;
  }

  bodies<T>(): T[] {
    return this.received.map((r) => r.body as T);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Alerting as a child process from its build (dist), to be killed with SIGKILL and started again. */
export class AlertingProcess {
  readonly output: string[] = [];
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const main = `${ROOT}services/alerting/dist/main.js`;
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const child = spawn(`${ROOT}node_modules/.bin/node`, [main], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => this.output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`alerting exited:\n${this.output.slice(-20).join('\n')}`);
        return fetch(`http://127.0.0.1:${this.env.METRICS_PORT}/health/ready`).then(
          (r) => r.ok,
          () => false,
        );
      },
      (ready) => ready,
      { what: 'alerting to be ready', timeoutMs: 30_000 },
    );
  }

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

export class AlertingHarness {
  private readonly replicas: RunningService[] = [];

  private constructor(
    readonly nats: TestNatsServer,
    readonly db: TestDatabase,
    readonly messaging: NatsClient,
    readonly publisher: JetStreamPublisher,
    readonly client: JetStreamClient,
  ) {}

  static async start(): Promise<AlertingHarness> {
    const nats = await TestNatsServer.start();
    const db = await TestDatabase.create();
    const messaging = await NatsClient.connect({ url: nats.url, name: 'alerting-test', logger });
    const publisher = new JetStreamPublisher(messaging);
    return new AlertingHarness(nats, db, messaging, publisher, new JetStreamClient(messaging, publisher));
  }

  async env(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
    return {
      NATS_URL: this.nats.url,
      DATABASE_URL: this.db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: process.env.ALERTING_TEST_LOG_LEVEL ?? 'warn',
      METRICS_PORT: String(await freePort()),
      ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      ALERT_POLL_INTERVAL_MS: '100',
      ...overrides,
    };
  }

  /** Starts one more in-process replica. */
  async startAlerting(
    overrides: Record<string, string> = {},
    options: AlertingOverrides = {},
  ): Promise<RunningService> {
    const replica = await startAlerting(alertingEnv(await this.env(overrides)), options);
    this.replicas.push(replica);
    return replica;
  }

  async stopAlerting(replica: RunningService): Promise<void> {
    this.replicas.splice(this.replicas.indexOf(replica), 1);
    await replica.close();
  }

  /** Applies the next version of the alerting policy, as an operator (or the Kubernetes operator) would. */
  async applyPolicy(policy: AlertingPolicy): Promise<number> {
    const store = await DocumentStore.open(this.messaging, AlertingDocuments.policy, logger);
    return (await store.apply(policy, 'test')).version;
  }

  async publishScored(scored: TransactionScored, msgId = scored.transaction.transaction_id): Promise<void> {
    await this.publisher.publish(Events.transactionScored, scored.transaction.region, scored, { msgId });
  }

  request<Req, Rep>(spec: RequestSpec<Req, Rep>, payload: Req): Promise<Rep> {
    return this.client.request(spec, payload);
  }

  async query<R extends object>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.db.query<R & Record<string, unknown>>(text, values);
  }

  async stop(): Promise<void> {
    for (const replica of [...this.replicas].reverse()) await replica.close().catch(() => undefined);
    await this.messaging.drain().catch(() => undefined);
    await this.nats.dispose();
    await this.db.drop();
  }
}

/** A scored transaction; `score` at or above 0.8 raises a HighRiskTransaction alert for the origin account. */
export function newScored(
  options: { score?: number; account?: string; region?: string; overrides?: Record<string, unknown> } = {},
): TransactionScored {
  const base = newTransaction({ region: options.region ?? 'NG', ...(options.overrides ?? {}) });
  const transaction = {
    ...base,
    origin: { ...base.origin, ...(options.account ? { account: options.account } : {}) },
  } as unknown as TransactionScored['transaction'];
  return {
    transaction,
    score: options.score ?? 0.9,
    reasons: [
      { code: 'TRANSFER_THEN_CASH_OUT', message: 'a transfer followed by its cash-out', weight: 0.85 },
    ],
    scored_at: new Date().toISOString(),
    model_version: 'test',
    decision: (options.score ?? 0.9) >= 0.9 ? 'block' : (options.score ?? 0.9) >= 0.5 ? 'review' : 'approve',
    policy_version: 1,
  };
}

export const settle = (ms: number) => sleep(ms);

export const ESCALATION_WAIT_MS = 2_000;
const WAIT_MS = ESCALATION_WAIT_MS;

/** Three steps to three pager URLs, 2 s apart; one group (hence one chain) per account. */
export function escalationPolicy(pagerUrl: string): AlertingPolicy {
  const channel = (step: number) => ({ type: 'webhook' as const, url: `${pagerUrl}?step=${step}` });
  return {
    channels: { 'pager-1': channel(1), 'pager-2': channel(2), 'pager-3': channel(3) },
    escalations: {
      oncall: {
        steps: [
          { notify: ['pager-1'], wait: `${WAIT_MS / 1000}s` },
          { notify: ['pager-2'], wait: `${WAIT_MS / 1000}s` },
          { notify: ['pager-3'], wait: `${WAIT_MS / 1000}s` },
        ],
      },
    },
    receivers: { oncall: { escalation: 'oncall' } },
    route: {
      receiver: 'oncall',
      group_by: ['alertname', 'account'],
      group_wait: '0s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
  };
}

/** Step notifications the pager received for an account: [step, notice] in arrival order. */
export function stepsFor(pager: HttpRecorder, account: string): [number, number][] {
  return pager
    .bodies<AlertNotification>()
    .filter((n) => n.escalation && n.alerts.some((a) => a.labels.account === account))
    .map((n) => [n.escalation!.step, n.escalation!.repeat]);
}
