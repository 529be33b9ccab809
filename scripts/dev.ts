// `npm start`: the whole suite on this machine (NATS, PostgreSQL, five services, demo traffic) until Ctrl-C.
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildIfStale } from './lib/build.ts';
import { formatChildLine, paint, say, sayRaw, type LogLevel } from './lib/console.ts';
import { loadDevSecrets } from './lib/dev-secrets.ts';
import { startJaeger, type RunningJaeger } from './lib/jaeger.ts';
import { ensureNats } from './lib/nats.ts';
import { isPortFree } from './lib/ports.ts';
import { ensurePostgres } from './lib/postgres.ts';
import { waitForReady } from './lib/readiness.ts';
import {
  describeExit,
  Supervisor,
  type ExitInfo,
  type ManagedProcess,
  type RestartPolicy,
} from './lib/supervisor.ts';
import { startWebhookReceiver, type WebhookReceiver } from './lib/webhook-receiver.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STATE_DIR = join(REPO_ROOT, '.vigil');

type ServiceName = 'ingest' | 'validator' | 'scorer' | 'alerting' | 'gateway';
interface ServiceSpec {
  name: ServiceName;
  /** Health, readiness and metrics port; the same defaults the services use. */
  metricsPort: number;
}
// Start order: the consumers first, so what ingest publishes finds its consumers; the public gateway last.
// Metrics ports are METRICS_PORT_BASE + 0..4 (default 9101..9105), so a second suite can run beside the first.
const METRICS_PORT_BASE = Number(process.env.METRICS_PORT_BASE || 9101);
const SERVICES: readonly ServiceSpec[] = [
  { name: 'validator', metricsPort: METRICS_PORT_BASE + 1 },
  { name: 'scorer', metricsPort: METRICS_PORT_BASE + 2 },
  { name: 'alerting', metricsPort: METRICS_PORT_BASE + 3 },
  { name: 'ingest', metricsPort: METRICS_PORT_BASE },
  { name: 'gateway', metricsPort: METRICS_PORT_BASE + 4 },
];
// Stop order: the public entry first, then upstream before downstream, so each service drains what it has.
const STOP_ORDER = ['traffic', 'cards', 'gateway', 'ingest', 'validator', 'scorer', 'alerting'];
// jaeger last: the services flush their last spans to it as they stop
const INFRASTRUCTURE_STOP_ORDER = ['nats', 'postgres', 'jaeger'];
const SERVICE_STOP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 90_000;
/** A service that ran this long before it died is restarted after the first, shortest delay again. */
const STABLE_AFTER_MS = 60_000;

// the users the gateway seeds in development (services/gateway/src/auth/demo-users.ts), with what each may see
const DEMO_USERS = [
  'admin',
  'analyst',
  'analyst-ng (NG only)',
  'fraud-ops',
  'sre',
  'auditor',
  'partner-a',
  'partner-b',
];
const DEMO_TRAFFIC_RATE = 20;
// A tenth of the demo traffic comes from the card generator (the Fraud Detection Handbook's simulator), so the
// dashboard shows CARD_PAYMENT beside the mobile-money generator's transfers, cash-outs and payments.
const DEMO_CARD_RATE = 2;
// Gateway API the banner's example uses.
const TOKEN_PATH = '/v1/auth/token';
const TRANSACTIONS_PATH = '/v1/transactions';
const INGEST_PATH = '/v1/transactions';

const USAGE = `Usage: npm start [-- options]

Starts NATS and PostgreSQL when none is running, builds, then runs the five Vigil services with
demo traffic until Ctrl-C. A service that dies after it was ready is restarted, after a delay that
grows with each restart in a row (250 ms doubling, at most 30 s; a run of a minute resets it).

Options:
  --only <names>   run only these services, comma-separated (validator,scorer,alerting,ingest,gateway)
  --rebuild        run npm run build even when no source changed
  --traces         run Jaeger (JAEGER_BIN or ~/.cache/vigil/jaeger-v1.75.0/jaeger) and send the traces there
                   (also VIGIL_TRACES=jaeger); without it, OTEL_EXPORTER_OTLP_ENDPOINT names a backend
  -h, --help       show this text

Environment: NATS_URL, DATABASE_URL, LOG_LEVEL, INGEST_PORT, GATEWAY_PORT, METRICS_PORT_BASE, DEMO_PASSWORD,
JWT_SECRET, TOKENIZATION_KEY, ALERT_WEBHOOK_URL, ALERT_SCORE_THRESHOLD, OTEL_EXPORTER_OTLP_ENDPOINT,
GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS (true here: partner webhooks may reach this machine),
DEMO_TRAFFIC=0 (no demo traffic), DEMO_SEED (the same demo traffic every run), NATS_SERVER_BIN.
Dev secrets are kept in .vigil/dev-secrets.json.`;

class StartupError extends Error {}
/** A failure whose cause has been printed already; it still stops the run with exit code 1. */
class AlreadyReported extends Error {}

const supervisor = new Supervisor();
/** Services that were ready once: when one of them dies it is restarted; before that, its failure stops the run. */
const readyOnce = new Set<ServiceName>();
/** The messaging library's delay formula (exponential, capped), loaded once the build has produced it. */
let restartDelayMs: (attempt: number) => number = () => 1_000;
let webhookReceiver: WebhookReceiver | undefined;
let stopRequested: ((reason: StopReason) => void) | undefined;
const stopSignal = new Promise<StopReason>((resolve) => {
  stopRequested = resolve;
});
type StopReason = { kind: 'signal'; signal: NodeJS.Signals } | { kind: 'failure'; message: string };
let stopping = false;

function requestStop(reason: StopReason): void {
  stopRequested?.(reason);
  stopRequested = undefined;
}

function log(source: string) {
  return (message: string, level: LogLevel = 'info') => say(source, message, level);
}

function parseOptions(): { services: ServiceSpec[]; rebuild: boolean; traces: boolean } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      traces: { type: 'boolean', default: process.env.VIGIL_TRACES === 'jaeger' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    sayRaw(USAGE);
    process.exit(0);
  }
  if (!values.only) return { services: [...SERVICES], rebuild: values.rebuild, traces: values.traces };
  const wanted = values.only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = wanted.filter((name) => !SERVICES.some((spec) => spec.name === name));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new StartupError(
      `--only: unknown service ${unknown.join(', ') || '(none given)'}; choose from ${SERVICES.map((s) => s.name).join(', ')}`,
    );
  }
  return {
    services: SERVICES.filter((spec) => wanted.includes(spec.name)),
    rebuild: values.rebuild,
    traces: values.traces,
  };
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new StartupError(`${name}=${raw} is not a port number`);
  return port;
}

function entryPoint(service: ServiceName): string {
  return join(REPO_ROOT, 'services', service, 'dist', 'main.js');
}

/** Fails before anything starts when a selected service was not built, or one of its ports is taken. */
async function preflight(services: ServiceSpec[], ports: { ingest: number; gateway: number }): Promise<void> {
  const unbuilt = services.filter((spec) => !existsSync(entryPoint(spec.name)));
  if (unbuilt.length > 0) {
    const built = services.filter((spec) => !unbuilt.includes(spec)).map((spec) => spec.name);
    const lines = unbuilt.map((spec) => {
      const source = join('services', spec.name, 'src', 'main.ts');
      const why = existsSync(join(REPO_ROOT, source))
        ? 'the build did not produce it'
        : `${source} does not exist yet`;
      return `  ${spec.name}: ${relative(REPO_ROOT, entryPoint(spec.name))} is missing (${why})`;
    });
    throw new StartupError(
      [`cannot start ${unbuilt.map((s) => s.name).join(', ')}: not built.`, ...lines]
        .concat(built.length > 0 ? [`To run only what is built: npm start -- --only ${built.join(',')}`] : [])
        .join('\n'),
    );
  }
  const wanted: { port: number; what: string; env?: string }[] = services.map((spec) => ({
    port: spec.metricsPort,
    what: `${spec.name} health/metrics`,
  }));
  if (services.some((s) => s.name === 'ingest'))
    wanted.push({ port: ports.ingest, what: 'ingest HTTP', env: 'INGEST_PORT' });
  if (services.some((s) => s.name === 'gateway'))
    wanted.push({ port: ports.gateway, what: 'gateway HTTP', env: 'GATEWAY_PORT' });
  const taken: string[] = [];
  for (const { port, what, env } of wanted) {
    if (!(await isPortFree(port)))
      taken.push(`  ${port} (${what})${env ? ` — or choose another with ${env}=` : ''}`);
  }
  if (taken.length > 0) {
    throw new StartupError(
      [
        'ports already in use (is another `npm start` running, or a service started by hand?):',
        ...taken,
      ].join('\n'),
    );
  }
}

/** A service that dies once it has been ready is restarted with backoff; one that never got ready stops the run. */
function restartPolicy(spec: ServiceSpec): RestartPolicy {
  return {
    delayMs: (attempt) => restartDelayMs(attempt),
    stableAfterMs: STABLE_AFTER_MS,
    restartIf: () => readyOnce.has(spec.name) && !stopping,
    onRestart: ({ name, exit, attempt, delayMs, ranForMs }) =>
      say(
        'dev',
        `${name} exited unexpectedly (${describeExit(exit)}) after ${formatDuration(ranForMs)}; ` +
          `restarting in ${formatDuration(delayMs)} (restart ${attempt} in a row); its last output is above`,
        'error',
      ),
    onRestarted: (child, { name, attempt }) => {
      say('dev', `${name} restarted (restart ${attempt} in a row)`);
      void waitForReady(`http://127.0.0.1:${spec.metricsPort}/health/ready`, {
        timeoutMs: READY_TIMEOUT_MS,
        stillStarting: () => child.running && !stopping,
      }).then((result) => {
        if (result.ready && !stopping) say('dev', `${name} ready again`);
      });
    },
  };
}

const formatDuration = (ms: number) => (ms < 1_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);

function startService(spec: ServiceSpec, env: NodeJS.ProcessEnv): ManagedProcess {
  return supervisor.keepRunning(
    spec.name,
    {
      command: process.execPath,
      args: ['--enable-source-maps', entryPoint(spec.name)],
      cwd: REPO_ROOT,
      env: { ...env, METRICS_PORT: String(spec.metricsPort) },
      stopTimeoutMs: SERVICE_STOP_TIMEOUT_MS,
      onLine: (line, stream) => sayRaw(formatChildLine(spec.name, line, stream)),
      onUnexpectedExit: (exit) => {
        const message = `${spec.name} exited unexpectedly (${describeExit(exit)}); its last output is above`;
        say('dev', message, 'error');
        requestStop({ kind: 'failure', message });
      },
    },
    restartPolicy(spec),
  );
}

async function startAndAwaitReady(spec: ServiceSpec, env: NodeJS.ProcessEnv): Promise<void> {
  say('dev', `starting ${spec.name}`);
  const since = Date.now();
  const child = startService(spec, env);
  const result = await waitForReady(`http://127.0.0.1:${spec.metricsPort}/health/ready`, {
    timeoutMs: READY_TIMEOUT_MS,
    stillStarting: () => child.running && !stopping,
  });
  if (stopping) return;
  if (result.ready) {
    readyOnce.add(spec.name);
    say('dev', `${spec.name} ready (${((Date.now() - since) / 1000).toFixed(1)} s)`);
    return;
  }
  if (result.reason === 'exited') {
    await child.exited; // by then the supervisor has reported the exit, under the service's own last words
    throw new AlreadyReported(`${spec.name} did not start`);
  }
  throw new StartupError(
    `${spec.name} was not ready after ${READY_TIMEOUT_MS / 1000} s; GET :${spec.metricsPort}/health/ready last answered: ${result.lastAnswer}`,
  );
}

/** The demo's seed: DEMO_SEED replays the same records every run; otherwise a new one, printed. */
function demoSeed(): number {
  const text = process.env.DEMO_SEED;
  if (text === undefined || text === '') return randomInt(1, 2 ** 31 - 1);
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > 2 ** 31 - 1)
    throw new StartupError(
      `DEMO_SEED must be an integer from 0 to ${2 ** 31 - 1}, got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

/**
 * Demo traffic at DEMO_TRAFFIC_RATE records/s: the mobile-money generator without end, and the card generator at
 * DEMO_CARD_RATE of them. Both take the same seed, so a seed gives the same records of each kind.
 */
function startDemoTraffic(ingestPort: number, seed: number): ManagedProcess[] {
  const cli = join(REPO_ROOT, 'services', 'ingest', 'dist', 'cli', 'generate.js');
  if (!existsSync(cli)) {
    say('traffic', `demo traffic skipped: ${relative(REPO_ROOT, cli)} is not built`, 'warn');
    return [];
  }
  const target = `http://127.0.0.1:${ingestPort}${INGEST_PATH}`;
  say(
    'traffic',
    `generating ~${DEMO_TRAFFIC_RATE} records/s to ${target}, ${DEMO_CARD_RATE} of them card payments ` +
      `(seed ${seed}; DEMO_SEED=${seed} repeats them; DEMO_TRAFFIC=0 turns this off)`,
  );
  const generator = (name: string, args: string[], onExit: (exit: ExitInfo) => void) =>
    supervisor.start(name, {
      command: process.execPath,
      args: ['--enable-source-maps', cli, '--target', target, '--seed', String(seed), ...args],
      cwd: REPO_ROOT,
      env: process.env,
      stopTimeoutMs: 5_000,
      onLine: (line, stream) => sayRaw(formatChildLine(name, line, stream)),
      onUnexpectedExit: onExit,
    });
  // The demo is still usable without traffic, so an exit is reported, not fatal.
  const mobileMoney = generator(
    'traffic',
    ['--rate', String(DEMO_TRAFFIC_RATE - DEMO_CARD_RATE), '--continuous'],
    (exit) =>
      say('traffic', `demo traffic stopped (${describeExit(exit)}); the services keep running`, 'warn'),
  );
  // The card simulator covers whole days: the 7 that ended at the last midnight (the validator accepts
  // records up to 30 days old), about 69,000 payments, which last some 9 hours at this rate.
  const cards = generator(
    'cards',
    ['--kind', 'card', '--start', 'now', '--rate', String(DEMO_CARD_RATE)],
    (exit) =>
      exit.code === 0
        ? say('cards', 'card demo traffic sent its 7 simulated days; mobile money goes on')
        : say(
            'cards',
            `card demo traffic stopped (${describeExit(exit)}); the services keep running`,
            'warn',
          ),
  );
  return [mobileMoney, cards];
}

/** Quotes a string for a POSIX shell, so the printed commands paste safely whatever the password is. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function printBanner(options: {
  services: ServiceSpec[];
  gatewayPort: number;
  ingestPort: number;
  demoPassword: string;
  natsUrl: string;
  databaseUrl: string;
  webhookUrl?: string;
  traffic: boolean;
  /** The query API of the Jaeger this runner started. */
  jaegerUrl?: string;
}): void {
  const has = (name: ServiceName) => options.services.some((spec) => spec.name === name);
  const base = `http://localhost:${options.gatewayPort}`;
  const row = (label: string, value: string) => `  ${paint('bold', label.padEnd(16))} ${value}`;
  const safeDatabaseUrl = options.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  const lines = [
    '',
    paint(
      ['bold', 'green'],
      `Vigil is running (development): ${options.services.map((s) => s.name).join(', ')}`,
    ),
  ];
  if (has('gateway')) {
    lines.push(row('Dashboard / API', `${base}/`), row('OpenAPI', `${base}/docs`));
    lines.push(row('Demo logins', `${DEMO_USERS.join(', ')}  password: ${options.demoPassword}`));
  }
  if (has('ingest')) lines.push(row('Ingest', `http://localhost:${options.ingestPort}${INGEST_PATH}`));
  lines.push(row('Health/metrics', options.services.map((s) => `${s.name} :${s.metricsPort}`).join(', ')));
  if (has('alerting')) {
    lines.push(
      row(
        'Alert webhook',
        options.webhookUrl
          ? `${options.webhookUrl} (local receiver, lines tagged "webhook")`
          : String(process.env.ALERT_WEBHOOK_URL),
      ),
    );
  }
  lines.push(row('NATS', options.natsUrl), row('PostgreSQL', safeDatabaseUrl));
  lines.push(
    row(
      'Traces',
      options.jaegerUrl
        ? `Jaeger: ${options.jaegerUrl}/api/traces?service=gateway&limit=20 (one trace per request, through every service)`
        : process.env.OTEL_EXPORTER_OTLP_ENDPOINT
          ? `exported to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT} (OTLP/HTTP)`
          : 'off: npm start -- --traces runs Jaeger (see docs/observability.md), or set OTEL_EXPORTER_OTLP_ENDPOINT',
    ),
  );
  lines.push(
    row(
      'Demo traffic',
      options.traffic
        ? `~${DEMO_TRAFFIC_RATE} records/s, ${DEMO_CARD_RATE}/s of them card payments (DEMO_TRAFFIC=0 to turn off)`
        : 'off',
    ),
  );
  if (has('gateway')) {
    const body = JSON.stringify({ username: 'analyst', password: options.demoPassword });
    lines.push(
      '',
      paint('bold', '  Try it (analyst token, then the latest transactions):'),
      `  TOKEN=$(curl -s -X POST ${base}${TOKEN_PATH} -H 'content-type: application/json' -d ${shellQuote(body)} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
      `  curl -s -H "authorization: Bearer $TOKEN" '${base}${TRANSACTIONS_PATH}?limit=10'`,
    );
  }
  lines.push('', `  Ctrl-C stops everything.`, '');
  sayRaw(lines.join('\n'));
}

async function startSuite(services: ServiceSpec[], rebuild: boolean, traces: boolean): Promise<void> {
  mkdirSync(STATE_DIR, { recursive: true });
  const ingestPort = portFromEnv('INGEST_PORT', 8081);
  const trafficSeed = demoSeed();
  const gatewayPort = portFromEnv('GATEWAY_PORT', 8080);

  const { secrets, created } = loadDevSecrets(join(STATE_DIR, 'dev-secrets.json'));
  say(
    'dev',
    created.length > 0
      ? `generated development secrets ${created.join(', ')} in .vigil/dev-secrets.json`
      : 'development secrets from .vigil/dev-secrets.json',
  );

  await buildIfStale({
    repoRoot: REPO_ROOT,
    stampFile: join(STATE_DIR, 'build-fingerprint'),
    force: rebuild,
    log: log('build'),
  });
  if (stopping) return;
  await preflight(services, { ingest: ingestPort, gateway: gatewayPort });
  // imported only now: the build has just produced it
  restartDelayMs = (await import('@vigil/messaging')).backoffMs;

  const nats = await ensureNats({
    url: process.env.NATS_URL || 'nats://127.0.0.1:4222',
    stateDir: STATE_DIR,
    supervisor,
    log: log('nats'),
  });
  watchInfrastructure(nats.server);
  if (stopping) return;
  const postgres = await ensurePostgres({
    url: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/vigil',
    stateDir: STATE_DIR,
    embeddedPassword: secrets.EMBEDDED_POSTGRES_PASSWORD,
    supervisor,
    log: log('postgres'),
  });
  watchInfrastructure(postgres.server);
  if (stopping) return;

  let webhookUrl = process.env.ALERT_WEBHOOK_URL || undefined;
  let localWebhook: string | undefined;
  if (!webhookUrl && services.some((s) => s.name === 'alerting')) {
    webhookReceiver = await startWebhookReceiver(log('webhook'));
    webhookUrl = localWebhook = webhookReceiver.url;
    say('webhook', `receiving alert webhooks on ${webhookUrl}`);
  }

  let jaeger: RunningJaeger | undefined;
  if (traces) {
    jaeger = await startJaeger({ stateDir: STATE_DIR, supervisor, log: log('jaeger') });
    watchInfrastructure(jaeger.server);
  }
  if (stopping) return;

  const demoPassword = process.env.DEMO_PASSWORD || secrets.DEMO_PASSWORD;
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    DATABASE_URL: postgres.url,
    VIGIL_ENV: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
    ...(jaeger ? { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint } : {}),
  };
  const envFor = (spec: ServiceSpec): NodeJS.ProcessEnv => {
    switch (spec.name) {
      case 'ingest':
        return {
          ...common,
          INGEST_PORT: String(ingestPort),
          TOKENIZATION_KEY: process.env.TOKENIZATION_KEY || secrets.TOKENIZATION_KEY,
        };
      case 'gateway':
        return {
          ...common,
          GATEWAY_PORT: String(gatewayPort),
          JWT_SECRET: process.env.JWT_SECRET || secrets.JWT_SECRET,
          DEMO_PASSWORD: demoPassword,
          // the demo runs on one machine: a partner webhook receiver here listens on loopback
          GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS:
            process.env.GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS || 'true',
        };
      case 'alerting':
        return webhookUrl ? { ...common, ALERT_WEBHOOK_URL: webhookUrl } : common;
      case 'validator':
      case 'scorer':
        return common;
    }
  };

  // All at once: each migrates its own schema, and migrations wait for one another's advisory lock.
  const starting = services.map((spec) => ({ spec, ready: startAndAwaitReady(spec, envFor(spec)) }));
  const everyService = Promise.all(starting.map((s) => s.ready));
  everyService.catch(() => undefined); // awaited below; a failure while the pipeline starts is thrown there first
  // Demo traffic goes to ingest, so it starts once the pipeline is ready, while the gateway (the slowest to
  // start: it seeds users and keys) may still be coming up; its first records are scored by the time it is.
  await Promise.all(starting.filter((s) => s.spec.name !== 'gateway').map((s) => s.ready));
  if (stopping) return;
  const trafficWanted = process.env.DEMO_TRAFFIC !== '0' && services.some((s) => s.name === 'ingest');
  const traffic = trafficWanted ? startDemoTraffic(ingestPort, trafficSeed) : [];
  await everyService;
  if (stopping) return;
  printBanner({
    services,
    gatewayPort,
    ingestPort,
    demoPassword,
    natsUrl: nats.url,
    databaseUrl: postgres.url,
    webhookUrl: localWebhook,
    traffic: traffic.length > 0,
    ...(jaeger ? { jaegerUrl: jaeger.queryUrl } : {}),
  });
}

/** NATS or Postgres started here dying takes every service down with it: stop, and say why. */
function watchInfrastructure(server: ManagedProcess | undefined): void {
  if (!server) return;
  void server.exited.then((exit: ExitInfo) => {
    if (stopping) return;
    const message = `${server.name} (started by this runner) exited unexpectedly (${describeExit(exit)}); see .vigil/${server.name === 'nats' ? 'nats-server' : server.name}.log`;
    say('dev', message, 'error');
    requestStop({ kind: 'failure', message });
  });
}

/** Stops whatever was started, in order; each process gets its stop signal, then SIGKILL after its deadline. */
async function stopEverything(): Promise<void> {
  stopping = true;
  supervisor.close();
  const stopOne = async (name: string) => {
    const managed = supervisor.get(name);
    if (!managed?.running) return;
    const since = Date.now();
    say('dev', `stopping ${name}…`);
    const exit = await managed.stop();
    const took = `${((Date.now() - since) / 1000).toFixed(1)} s`;
    if (exit.forced) say('dev', `${name} did not stop in time; killed after ${took}`, 'warn');
    else say('dev', `${name} stopped (${took}, ${describeExit(exit)})`);
  };
  for (const name of STOP_ORDER) await stopOne(name);
  if (webhookReceiver) {
    const count = webhookReceiver.received();
    await webhookReceiver.close();
    say('webhook', `receiver closed (${count} alert${count === 1 ? '' : 's'} received)`);
  }
  for (const name of INFRASTRUCTURE_STOP_ORDER) await stopOne(name);
  for (const name of supervisor.names()) await stopOne(name);
}

async function main(): Promise<number> {
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      say('dev', `${signal} received: stopping (press Ctrl-C again to kill everything at once)`);
      requestStop({ kind: 'signal', signal });
      // npm forwards the terminal's Ctrl-C, so one key press can arrive twice within moments
    } else if (now - firstSignalAt > 1_000) {
      say('dev', 'second signal: killing everything now', 'warn');
      supervisor.killAllNow();
      process.exit(130);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  process.on('exit', () => supervisor.terminateAllNow());

  let exitCode = 0;
  try {
    const { services, rebuild, traces } = parseOptions();
    const startup = startSuite(services, rebuild, traces).then(
      () => undefined,
      (error: unknown) => {
        // A failure caused by stopping in the middle of startup is not news.
        if (stopping) return;
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof AlreadyReported)) say('dev', message, 'error');
        requestStop({ kind: 'failure', message });
      },
    );
    const reason = await stopSignal;
    if (reason.kind === 'failure') exitCode = 1;
    await stopEverything();
    await Promise.race([startup, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  } catch (error) {
    say('dev', error instanceof Error ? error.message : String(error), 'error');
    exitCode = 1;
    await stopEverything();
  }
  say(
    'dev',
    exitCode === 0 ? 'all stopped' : 'all stopped after a failure (exit code 1)',
    exitCode === 0 ? 'info' : 'error',
  );
  return exitCode;
}

// Exit explicitly: a readiness poll or build cut short by the shutdown must not keep the process alive.
process.exit(await main());
