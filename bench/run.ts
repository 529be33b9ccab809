// `npm run bench`: throughput, latency and persistence of the suite beside raw baselines measured in the same
// run on the same machine; prints a table and writes bench-results/<timestamp>.json and latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, interrupted } from './lib/cleanup.ts';
import {
  NatsServer,
  ensureNatsCli,
  natsBenchAsyncPublish,
  natsJsAsyncPublish,
  resolveNatsServer,
  type BaselineRun,
} from './lib/nats.ts';
import { CpuMeter, machineCpu, run, type CpuReport } from './lib/proc.ts';
import { renderProfiles, summariseDir } from './lib/profile.ts';
import { renderTable, type Row } from './lib/report.ts';
import { int, median, ms } from './lib/stats.ts';
import {
  BenchDatabase,
  ROOT,
  SERVICES,
  committedTransactions,
  postgresPids,
  startSuite,
  type RunningSuite,
} from './lib/suite.ts';
import { closeAgent } from './lib/traffic.ts';
import { API_TARGETS, measureApi, seedForApi, type ApiResult } from './api.ts';
import { DECISION_TARGETS, measureDecisions, type DecisionsResult } from './decisions.ts';
import { GATEWAY_TARGETS, measureGateway, seedForGateway, type GatewayResult } from './gateway.ts';
import { measureLatency, type LatencyResult } from './latency.ts';
import { measurePersistence, type PersistenceResult } from './persistence.ts';
import { measureScorerCompute, type ScorerComputeResult } from './scorer.ts';
import { WARMUP_RECORDS, measureThroughput, type ThroughputResult } from './throughput.ts';
import { measureValidator, type ValidatorResult } from './validator.ts';

const USAGE = `Usage: npm run bench [-- options]

Runs the Vigil benchmarks (about 2 minutes on 2 cores; --quick about 40 s) and writes bench-results/<timestamp>.json.

  --quick        smaller runs: fewer records, a shorter latency window, one persistence trial
  --only gateway run the gateway benchmark alone (bare fastify vs authenticated GET /v1/summary, 200 clients)
  --only decisions  POST /v1/decisions at 200 requests/s offered for 30 s against the running suite, beside the
                 same POST to a bare fastify handler at the same rate: p50/p99 and errors (about 2 minutes)
  --only api     run the query API benchmark alone: 1,000,000 stored transactions, 200 connections with 200
                 tokens over list, search, CSV export and detail, beside bare fastify, then each route
                 alone with the CPU one answer costs per process (about 3 minutes)
  --no-build     do not run npm run build first (the services' dist/ is used as it is)
  --profile      also run the services with --cpu-prof and print where their CPU goes (slows them down:
                 the figures of such a run are not comparable)
  -h, --help     show this text

Environment: NATS_SERVER_BIN (nats-server to use), NATS_CLI_BIN (nats CLI to use),
BENCH_DATABASE_ADMIN_URL or TEST_DATABASE_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).`;

const SIZES = {
  full: {
    baselineMsgs: 300_000,
    baselineRuns: 3,
    records: 100_000,
    clients: 4,
    latencySeconds: 20,
    persistenceTrials: 3,
    validatorRecords: 50_000,
    validatorRounds: 7,
    gatewaySeconds: 15,
    gatewaySeedRecords: 20_000,
  },
  quick: {
    baselineMsgs: 100_000,
    baselineRuns: 3,
    records: 15_000,
    clients: 4,
    latencySeconds: 8,
    persistenceTrials: 1,
    validatorRecords: 20_000,
    validatorRounds: 5,
    gatewaySeconds: 8,
    gatewaySeedRecords: 5_000,
  },
} as const;
const LATENCY_INTERVAL_MS = 10;
const GATEWAY_CONNECTIONS = 200;
/** The demo users' password in the bench suite (bench/lib/suite.ts gives every service the same one). */
const BENCH_DEMO_PASSWORD = 'vigil-bench-demo-0123456789abcdef0123456789abcdef';
const TARGETS = {
  throughputRatio: 0.2,
  p50Ms: 10,
  p99Ms: 50,
  persistenceRatio: 0.3,
  scorerP99Us: 1_000,
  validatorRatio: 0.5,
};

const startedAt = new Date();
const clock = performance.now();
const log = (message: string) =>
  console.log(`[bench ${((performance.now() - clock) / 1000).toFixed(0).padStart(3)} s] ${message}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.quick ? 'quick' : 'full';
  const size = SIZES[mode];
  if (values.only !== undefined && !['gateway', 'api', 'decisions'].includes(values.only)) {
    console.error(`--only takes "gateway", "api" or "decisions" (got "${values.only}")\n\n${USAGE}`);
    return 2;
  }
  const notes: string[] = [];

  const load = loadavg()[0]!;
  const busyAtStart = await busyCores(1000);
  log(`${mode} run on ${cpus().length} cores (${busyAtStart.toFixed(2)} cores busy before the start)`);
  if (busyAtStart > 0.25)
    notes.push(
      `the machine was already busy at the start (${busyAtStart.toFixed(2)} of ${cpus().length} cores): figures are lower than on an idle machine; see "used by processes outside this run" per phase`,
    );

  if (!values['no-build']) {
    log('npm run build (cached by nx when nothing changed)…');
    await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeoutMs: 600_000 });
  }
  const git = await gitInfo();
  const natsBinary = await resolveNatsServer();
  log(`nats-server ${natsBinary.version} (${natsBinary.path})`);
  if (values.only !== undefined) {
    const profileDir = values.profile
      ? join(ROOT, 'bench-results', 'profiles', startedAt.toISOString().replace(/[:.]/g, '-'))
      : undefined;
    if (profileDir) notes.push(`services ran with --cpu-prof (profiles in ${profileDir.slice(ROOT.length)})`);
    const context: AloneContext = { mode, natsBinary, git, notes, load, busyAtStart, profileDir };
    if (values.only === 'decisions')
      return runAlone(
        'decisions',
        context,
        (suite) => {
          log('decisions: bare fastify vs POST /v1/decisions at a fixed rate');
          return measureDecisions(suite, {
            password: BENCH_DEMO_PASSWORD,
            log,
            ...(mode === 'quick' ? { seconds: 10 } : {}),
          });
        },
        (decisions) => ({ rows: decisionRows(decisions) }),
      );
    if (values.only === 'api')
      return runAlone(
        'api',
        context,
        async (suite) => {
          const seedSeconds = await seedForApi(suite, log);
          log('api: bare fastify vs list, search, export and detail of the query API');
          return measureApi(suite, seedSeconds, {
            connections: GATEWAY_CONNECTIONS,
            seconds: size.gatewaySeconds + 5,
            password: BENCH_DEMO_PASSWORD,
            log,
          });
        },
        (api) => ({ rows: apiRows(api), details: apiDetails(api) }),
      );
    return runAlone(
      'gateway',
      context,
      async (suite) => {
        await seedForGateway(suite, size.gatewaySeedRecords, log);
        log('gateway: bare fastify vs authenticated GET /v1/summary');
        return measureGateway(suite, {
          connections: GATEWAY_CONNECTIONS,
          seconds: size.gatewaySeconds,
          password: BENCH_DEMO_PASSWORD,
          log,
        });
      },
      (gateway) => ({ rows: gatewayRows(gateway), details: gatewayDetails(gateway) }),
    );
  }

  // 1. raw baseline
  const { cli, why } = await ensureNatsCli(log);
  const baselineTool = cli
    ? `nats bench js pub async (natscli ${cli.version}, ${cli.how})`
    : `FALLBACK nats.js async-publish loop, window 500 (${why})`;
  if (!cli) notes.push(`raw baseline is NOT nats bench: ${why}`);
  log(`raw baseline: ${baselineTool}, ${size.baselineRuns} × ${int(size.baselineMsgs)} msgs`);
  const baselineServer = await NatsServer.start(natsBinary, 'nats-server (baseline)');
  const baselineRuns: BaselineRun[] = [];
  const baselineCpu = new CpuMeter([{ label: 'nats-server', pids: () => [baselineServer.process.pid] }]);
  let baselineServerUsPerMsg: number;
  try {
    await baselineCpu.start();
    for (let i = 0; i < size.baselineRuns; i++) {
      const result = cli
        ? await natsBenchAsyncPublish(cli, baselineServer.url, size.baselineMsgs)
        : await natsJsAsyncPublish(baselineServer.url, size.baselineMsgs);
      baselineRuns.push(result);
      log(`  ${result.line}`);
    }
    const used = await baselineCpu.stop();
    baselineServerUsPerMsg = (used.groups[0]!.cpuSeconds * 1e6) / (size.baselineRuns * size.baselineMsgs);
  } finally {
    await baselineServer.stop();
  }
  const baseline = median(baselineRuns.map((r) => r.msgsPerSec));

  // 1b. the validator's per-record work beside raw ajv, in this process, before the suite competes for the CPU
  const validator = await measureValidator({
    records: size.validatorRecords,
    rounds: size.validatorRounds,
    log,
  });
  log(
    `  validator ${int(validator.validatorRecordsPerSec)} rec/s, raw ajv ${int(validator.ajvRecordsPerSec)} rec/s (${validator.ratio.toFixed(2)} x)`,
  );

  // 2-3. the suite
  const adminUrl =
    process.env.BENCH_DATABASE_ADMIN_URL ??
    process.env.TEST_DATABASE_ADMIN_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await BenchDatabase.create(adminUrl);
  const postgres = await postgresInfo(db);
  log(`database ${db.name} on ${postgres.version.split(' on ')[0]}`);
  log('starting the suite (5 services, private nats-server)…');
  const profileDir = values.profile
    ? join(ROOT, 'bench-results', 'profiles', startedAt.toISOString().replace(/[:.]/g, '-'))
    : undefined;
  if (profileDir)
    notes.push(
      `services ran with --cpu-prof (profiles in ${profileDir.slice(ROOT.length)}): throughput and latency are lower than without`,
    );
  const suite = await startSuite(natsBinary, db, profileDir);
  const cpu = cpuMeter(suite);
  let throughput: ThroughputResult;
  let latency: LatencyResult;
  let trickle: LatencyResult;
  let gateway: GatewayResult;
  const serviceWarnings: Record<string, string[]> = {};
  try {
    throughput = await measureThroughput(suite, {
      records: size.records,
      clients: size.clients,
      cpu,
      log,
    });
    log(
      `  ${int(throughput.recordsPerSec)} records/s end to end (${throughput.seconds.toFixed(2)} s); ingest took them in at ${int(throughput.ingestRecordsPerSec)}/s`,
    );
    const rate = throughput.recordsPerSec / 2;
    latency = await measureLatency(suite, {
      ratePerSec: rate,
      seconds: size.latencySeconds,
      intervalMs: LATENCY_INTERVAL_MS,
      cpu,
      log,
    });
    log(`  p50 ${ms(latency.acceptedToCommittedMs.p50)}, p99 ${ms(latency.acceptedToCommittedMs.p99)}`);
    // what the suite costs when little happens: a trickle, one record at a time, and the CPU of every process
    trickle = await measureLatency(suite, {
      ratePerSec: TRICKLE_RATE,
      seconds: size.latencySeconds,
      intervalMs: 1000 / TRICKLE_RATE,
      cpu,
      log,
      seed: TRICKLE_SEED,
    });
    log(`  ${suiteCores(trickle.cpu).toFixed(2)} cores at ${TRICKLE_RATE} records/s`);
    // the rollups now cover the records of both phases above
    log('gateway: bare fastify vs authenticated GET /v1/summary');
    gateway = await measureGateway(suite, {
      connections: GATEWAY_CONNECTIONS,
      seconds: size.gatewaySeconds,
      password: BENCH_DEMO_PASSWORD,
      log,
    });
    for (const [name, service] of suite.services) {
      const warnings = service.tail.filter((l) => /"level":(40|50|60)|warn|error/i.test(l));
      if (warnings.length > 0) serviceWarnings[name] = warnings.slice(-5);
    }
  } finally {
    log('stopping the suite…');
    await suite.stop();
    closeAgent();
  }
  // backends flush their statistics when they exit, so these cover the warm-up, throughput, latency and trickle
  // phases
  const recordsProcessed = WARMUP_RECORDS + throughput.records + latency.records + trickle.records;
  const database = await databaseActivity(db, recordsProcessed);

  // 4. persistence, with the services stopped so they do not compete
  log(`persistence: ${size.persistenceTrials} trial(s)`);
  const persistence = await measurePersistence(db, { trials: size.persistenceTrials, log });
  await db.drop();

  // 5. scorer compute, in this process, with everything else stopped
  log(`scorer compute: ${int(size.records)} generated transactions in order`);
  const scorer = await measureScorerCompute(size.records);

  const profiles = profileDir ? summariseDir(profileDir) : [];
  const rows = [
    ...table(baseline, baselineTool, throughput, latency, persistence, scorer, validator),
    ...trickleRows(trickle),
    ...gatewayRows(gateway),
  ];
  console.log('');
  console.log(renderTable(rows));
  console.log('');
  console.log(whereTimeGoes(throughput, latency, persistence, validator));
  console.log(gatewayDetails(gateway));
  const natsPerRecordUs =
    ((throughput.cpu.groups.find((g) => g.label === 'nats-server')?.cpuSeconds ?? 0) * 1e6) /
    throughput.records;
  console.log(
    `nats-server CPU: ${baselineServerUsPerMsg.toFixed(1)} µs per raw 256 B publish in the baseline, ${natsPerRecordUs.toFixed(0)} µs per record end to end ` +
      `(~${Math.round(natsPerRecordUs / baselineServerUsPerMsg)} raw publishes' worth: 3 stream writes, 4 deliveries, their acks and pulls)`,
  );
  console.log(
    `postgres work per record (whole suite run, ${int(recordsProcessed)} records): ${database.transactionsPerRecord} transactions; ` +
      `scorer.account_state rows written ${database.accountStatesWrittenPerRecord}; rows inserted ${database.rowsInsertedPerRecord}`,
  );
  if (profiles.length > 0)
    console.log(`CPU profiles of the services (self time, whole run):\n${renderProfiles(profiles)}`);
  for (const note of notes) console.log(`note: ${note}`);
  for (const [name, lines] of Object.entries(serviceWarnings))
    console.log(`note: ${name} logged warnings/errors, last: ${lines.at(-1)}`);

  const result = {
    schema: 1,
    mode,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((performance.now() - clock) / 100) / 10,
    git,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      freeMemoryGiB: Math.round(freemem() / 2 ** 30),
      kernel: release(),
      loadAverageAtStart: load,
      busyCoresAtStart: Math.round(busyAtStart * 100) / 100,
      node: process.version,
      natsServer: natsBinary,
      natsCli: cli ? { version: cli.version, path: cli.path, how: cli.how } : { unavailable: why },
      postgres,
    },
    table: rows,
    phases: {
      baseline: {
        tool: baselineTool,
        msgsPerSec: baseline,
        runs: baselineRuns,
        msgs: size.baselineMsgs,
        size: 256,
        replicas: 1,
        storage: 'file',
        natsServerCpuUsPerMsg: Math.round(baselineServerUsPerMsg * 10) / 10,
      },
      throughput,
      latency,
      trickle,
      persistence,
      scorer,
      validator,
      database,
      gateway,
    },
    ...(profiles.length > 0 ? { profiles } : {}),
    notes,
    serviceWarnings,
  };
  writeResult(result);
  return 0;
}

function writeResult(result: Record<string, unknown> & { durationSeconds: number }): void {
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\nwrote ${file.slice(ROOT.length)} and bench-results/latest.json (${result.durationSeconds} s)`,
  );
}

/** `--only gateway`: the suite on a fresh database, some generated traffic, then the gateway phase alone. */
interface AloneContext {
  mode: 'full' | 'quick';
  natsBinary: Awaited<ReturnType<typeof resolveNatsServer>>;
  git: { commit: string; dirty: boolean };
  notes: string[];
  load: number;
  busyAtStart: number;
  profileDir: string | undefined;
}

/**
 * `--only <phase>`: the suite on a fresh database, one phase against it, then its table, its details, the
 * services' CPU profiles when asked for, and the result file.
 */
async function runAlone<R>(
  phase: 'gateway' | 'api' | 'decisions',
  context: AloneContext,
  measure: (suite: RunningSuite) => Promise<R>,
  report: (result: R) => { rows: Row[]; details?: string },
): Promise<number> {
  const { mode, natsBinary, git, notes, load, busyAtStart, profileDir } = context;
  const adminUrl =
    process.env.BENCH_DATABASE_ADMIN_URL ??
    process.env.TEST_DATABASE_ADMIN_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await BenchDatabase.create(adminUrl);
  log(`database ${db.name}; starting the suite (5 services, private nats-server)…`);
  const suite = await startSuite(natsBinary, db, profileDir);
  let result: R;
  try {
    result = await measure(suite);
  } finally {
    log('stopping the suite…');
    await suite.stop();
    closeAgent();
    await db.drop();
  }
  const { rows, details } = report(result);
  console.log('');
  console.log(renderTable(rows));
  console.log('');
  if (details) console.log(details);
  const profiles = profileDir ? summariseDir(profileDir) : [];
  if (profiles.length > 0)
    console.log(`CPU profiles of the services (self time, whole run):\n${renderProfiles(profiles)}`);
  for (const note of notes) console.log(`note: ${note}`);
  writeResult({
    schema: 1,
    mode,
    only: phase,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((performance.now() - clock) / 100) / 10,
    git,
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverageAtStart: load,
      busyCoresAtStart: Math.round(busyAtStart * 100) / 100,
      node: process.version,
      natsServer: natsBinary,
    },
    table: rows,
    phases: { [phase]: result },
    notes,
  });
  // a benchmark, not a timed test: the verdicts are in the table and the JSON, the exit code says it ran
  return 0;
}

function apiDetails(api: ApiResult): string {
  return [
    `api (${api.seconds} s after a warm-up; ${api.tokens} tokens of ${api.users.join(', ')}; ${int(api.rows)} stored transactions):`,
    ...api.routes.map(
      (r) =>
        `    ${r.route.padEnd(7)} ${int(r.requests)} requests over ${r.connections} connections, p50 ${ms(r.latencyMs.p50)} / p95 ${ms(r.latencyMs.p95)} / p99 ${ms(r.latencyMs.p99)}; 5xx ${r.serverErrors}, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}; e.g. ${r.example}`,
    ),
    "where an answer's time goes: each route alone afterwards, CPU per answer by process (µs):",
    `    ${'route'.padEnd(7)} ${'gateway'.padStart(8)} ${'postgres'.padStart(9)} ${'load gen'.padStart(9)} ${'total'.padStart(7)}  transactions  req/s alone  machine busy`,
    ...api.costs.map(
      (c) =>
        `    ${c.route.padEnd(7)} ${String(c.gatewayUs).padStart(8)} ${String(c.postgresUs).padStart(9)} ${String(c.loadGeneratorUs).padStart(9)} ${String(c.gatewayUs + c.postgresUs + c.loadGeneratorUs).padStart(7)}  ${String(c.transactionsPerAnswer).padStart(12)}  ${int(c.requestsPerSec).padStart(11)}  ${c.machineBusyCores.toFixed(2)} cores`,
    ),
  ].join('\n');
}

function decisionRows(d: DecisionsResult): Row[] {
  const of = (run: DecisionsResult['decisions']) => `p50 ${ms(run.latencyMs.p50)}, p99`;
  return [
    {
      metric: `bare fastify POST, ${d.rate} req/s offered for ${d.seconds} s: ${of(d.bareFastify)}`,
      value: ms(d.bareFastify.latencyMs.p99),
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `POST /v1/decisions p50 (${int(d.decisions.answered)} of ${int(d.decisions.offered)} answered)`,
      value: ms(d.decisions.latencyMs.p50),
      baseline: ms(d.bareFastify.latencyMs.p50),
      ratio: (d.decisions.latencyMs.p50 / Math.max(0.01, d.bareFastify.latencyMs.p50)).toFixed(1),
      target: `<= ${DECISION_TARGETS.p50Ms} ms`,
      pass: d.pass.p50,
    },
    {
      metric: 'POST /v1/decisions p99',
      value: ms(d.decisions.latencyMs.p99),
      baseline: ms(d.bareFastify.latencyMs.p99),
      ratio: (d.decisions.latencyMs.p99 / Math.max(0.01, d.bareFastify.latencyMs.p99)).toFixed(1),
      target: `<= ${DECISION_TARGETS.p99Ms} ms`,
      pass: d.pass.p99,
    },
    {
      metric: 'POST /v1/decisions errors (non-200, socket errors, timeouts)',
      value: int(d.decisions.errors),
      baseline: '-',
      ratio: '-',
      target: String(DECISION_TARGETS.errors),
      pass: d.pass.errors,
    },
  ];
}

function apiRows(a: ApiResult): Row[] {
  const serverErrors = a.routes.reduce((n, r) => n + r.serverErrors + r.errors + r.timeouts, 0);
  return [
    {
      metric: `bare fastify hello-world, ${a.connections} connections`,
      value: `${int(a.bareFastify.requestsPerSec)} req/s`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `query API, ${a.connections} connections, ${a.tokens} tokens, ${int(a.rows)} transactions`,
      value: `${int(a.requestsPerSec)} req/s`,
      baseline: `${int(a.bareFastify.requestsPerSec)} req/s`,
      ratio: a.ratio.toFixed(3),
      target: `>= ${API_TARGETS.ratio}`,
      pass: a.pass.ratio,
    },
    ...a.routes.map((r) => ({
      metric: `query API ${r.route}: ${int(r.requestsPerSec)} req/s, p50 ${ms(r.latencyMs.p50)}, p95`,
      value: ms(r.latencyMs.p95),
      baseline: '-',
      ratio: '-',
      target: `<= ${API_TARGETS.p95Ms} ms`,
      pass: r.latencyMs.p95 <= API_TARGETS.p95Ms,
    })),
    {
      metric: 'query API 5xx answers, socket errors and timeouts',
      value: int(serverErrors),
      baseline: '-',
      ratio: '-',
      target: `${API_TARGETS.serverErrors}`,
      pass: a.pass.serverErrors,
    },
  ];
}

function gatewayRows(g: GatewayResult): Row[] {
  const errors = g.gateway.errors + g.gateway.timeouts + g.gateway.non2xx;
  return [
    {
      metric: `bare fastify hello-world, ${g.connections} connections`,
      value: `${int(g.bareFastify.requestsPerSec)} req/s`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `gateway GET /v1/summary, ${g.connections} clients, ${g.tokens} bearer tokens`,
      value: `${int(g.gateway.requestsPerSec)} req/s`,
      baseline: `${int(g.bareFastify.requestsPerSec)} req/s`,
      ratio: g.ratio.toFixed(3),
      target: `>= ${GATEWAY_TARGETS.ratio}`,
      pass: g.pass.ratio,
    },
    ...(['p50', 'p95', 'p99'] as const).map((q) => ({
      metric: `gateway GET /v1/summary latency ${q}`,
      value: ms(g.gateway.latencyMs[q]),
      baseline: ms(g.bareFastify.latencyMs[q]),
      ratio: '-',
      target: q === 'p95' ? `<= ${GATEWAY_TARGETS.p95Ms} ms` : '-',
      pass: q === 'p95' ? g.pass.p95 : null,
    })),
    {
      metric: 'gateway errors, timeouts and non-2xx answers',
      value: int(errors),
      baseline: '-',
      ratio: '-',
      target: `${GATEWAY_TARGETS.errors}`,
      pass: g.pass.errors,
    },
  ];
}

function gatewayDetails(g: GatewayResult): string {
  return [
    `gateway (${g.seconds} s per target after a 2 s warm-up; ${g.tokens} tokens of ${g.users.join(', ')}):`,
    `    bare fastify: ${int(g.bareFastify.requests)} requests, p50 ${ms(g.bareFastify.latencyMs.p50)} / p95 ${ms(g.bareFastify.latencyMs.p95)} / p99 ${ms(g.bareFastify.latencyMs.p99)}`,
    `    gateway:      ${int(g.gateway.requests)} requests, p50 ${ms(g.gateway.latencyMs.p50)} / p95 ${ms(g.gateway.latencyMs.p95)} / p99 ${ms(g.gateway.latencyMs.p99)}; errors ${g.gateway.errors}, timeouts ${g.gateway.timeouts}, non-2xx ${g.gateway.non2xx}`,
    `    summary served: ${int(g.summarySample.transactions)} transactions in the hour over ${g.summarySample.regions} regions, ${int(g.summarySample.bytes)} bytes; rollups read in ${g.summarySample.refreshMs ?? '?'} ms once a second`,
  ].join('\n');
}

function table(
  baseline: number,
  baselineTool: string,
  t: ThroughputResult,
  l: LatencyResult,
  p: PersistenceResult,
  sc: ScorerComputeResult,
  v: ValidatorResult,
): Row[] {
  const ratio = t.recordsPerSec / baseline;
  const raw = baselineTool.startsWith('FALLBACK')
    ? 'raw JetStream async publish (nats.js FALLBACK)'
    : 'raw JetStream async publish (nats bench)';
  return [
    {
      metric: `${raw}, R1 file 256 B`,
      value: `${int(baseline)} msg/s`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `e2e throughput, HTTP 1000-record batches -> score persisted`,
      value: `${int(t.recordsPerSec)} rec/s`,
      baseline: `${int(baseline)} msg/s`,
      ratio: ratio.toFixed(3),
      target: `>= ${TARGETS.throughputRatio}`,
      pass: ratio >= TARGETS.throughputRatio && t.zeroLoss.ok,
    },
    {
      metric: 'e2e zero loss (each id once in scorer.scores)',
      value: `${int(t.zeroLoss.distinctIds)}/${int(t.zeroLoss.expected)}`,
      baseline: '-',
      ratio: '-',
      target: 'all, once',
      pass: t.zeroLoss.ok,
    },
    ...(['p50', 'p95', 'p99'] as const).map((q) => ({
      metric: `e2e latency ${q}, accepted -> committed @ ${int(l.targetRatePerSec)} rec/s (50%)`,
      value: ms(l.acceptedToCommittedMs[q]),
      baseline: '-',
      ratio: '-',
      target: q === 'p50' ? `<= ${TARGETS.p50Ms} ms` : q === 'p99' ? `<= ${TARGETS.p99Ms} ms` : '-',
      pass:
        q === 'p50'
          ? l.acceptedToCommittedMs.p50 <= TARGETS.p50Ms
          : q === 'p99'
            ? l.acceptedToCommittedMs.p99 <= TARGETS.p99Ms
            : null,
    })),
    {
      metric: `validator, default rule set (${v.rules} rules) vs raw ajv, same records`,
      value: `${int(v.validatorRecordsPerSec)} rec/s`,
      baseline: `${int(v.ajvRecordsPerSec)} rec/s ajv`,
      ratio: v.ratio.toFixed(3),
      target: `>= ${TARGETS.validatorRatio}`,
      pass: v.ratio >= TARGETS.validatorRatio,
    },
    {
      metric: 'persistence, scorer path (partition commit: fenced offset + scores)',
      value: `${int(p.servicePathRowsPerSec)} rows/s`,
      baseline: `${int(p.copyRowsPerSec)} rows/s COPY`,
      ratio: p.ratio.toFixed(3),
      target: `>= ${TARGETS.persistenceRatio}`,
      pass: p.ratio >= TARGETS.persistenceRatio,
    },
    ...(['p50', 'p99'] as const).map((q) => ({
      metric: `scorer compute ${q} per transaction (features + model + rules)`,
      value: `${sc.computeUs[q].toFixed(1)} µs`,
      baseline: '-',
      ratio: '-',
      target: q === 'p99' ? `<= ${TARGETS.scorerP99Us} µs` : '-',
      pass: q === 'p99' ? sc.computeUs.p99 <= TARGETS.scorerP99Us : null,
    })),
    {
      metric: 'scorer compute throughput, one core',
      value: `${int(sc.scoredPerSec)} scored/s`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
  ];
}

function whereTimeGoes(
  t: ThroughputResult,
  l: LatencyResult,
  p: PersistenceResult,
  v: ValidatorResult,
): string {
  const cpuLines = (report: CpuReport, records: number) => {
    const suiteGroups = report.groups.filter((g) => g.label !== 'bench');
    const perRecordUs = (suiteGroups.reduce((sum, g) => sum + g.cpuSeconds, 0) * 1e6) / records;
    return report.groups
      .filter((g) => g.cpuSeconds > 0.005)
      .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
      .map(
        (g) =>
          `    ${g.label.padEnd(12)} ${g.cores.toFixed(2)} cores  ${((g.cpuSeconds * 1e6) / records).toFixed(0).padStart(5)} µs CPU/record`,
      )
      .concat(
        `    ${'machine'.padEnd(12)} ${report.machine.busyCores.toFixed(2)} of ${report.machine.cores.toFixed(1)} cores busy; ` +
          `${report.machine.otherCores.toFixed(2)} cores used by processes outside this run`,
        `    ${'suite total'.padEnd(12)} ${perRecordUs.toFixed(0)} µs CPU/record (services + nats-server + postgres) ` +
          `=> CPU ceiling on ${report.machine.cores.toFixed(0)} cores ~${int((report.machine.cores * 1e6) / perRecordUs)} rec/s`,
      );
  };
  const stage = (name: string, d: { p50: number; p99: number }) =>
    `${name} p50 ${ms(d.p50)} / p99 ${ms(d.p99)}`;
  return [
    `where time goes - throughput phase (${int(t.records)} records in ${t.seconds.toFixed(2)} s):`,
    ...cpuLines(t.cpu, t.records),
    `    backlog (pending + unacked) max: ${Object.entries(t.backlog.max)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ')}`,
    `    mean delivery->ack per message: ${Object.entries(t.handleMs)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ')}`,
    `    ingest HTTP 1000-record batch: p50 ${ms(t.httpMs.p50)}, p99 ${ms(t.httpMs.p99)}; ingest accepted ${int(t.ingestRecordsPerSec)} rec/s; ledger caught up ${t.ledgerLagSeconds.toFixed(2)} s after the last score`,
    `where time goes - latency phase (${int(l.records)} records, ${int(l.offeredRatePerSec)} rec/s offered, ~${l.meanBatch.toFixed(1)} per ${l.intervalMs} ms batch):`,
    ...cpuLines(l.cpu, l.records),
    `    ${stage('received -> validated_at', l.stagesMs.ingestToValidator)}; ${stage('validated_at -> scored_at', l.stagesMs.validatorToScorer)}; ${stage('scored_at -> committed', l.stagesMs.scorerToCommit)}`,
    `    client view: ${stage('request sent -> committed', l.sentToCommittedMs)}; ${stage('HTTP 202', l.httpMs)}; most requests in flight ${l.maxInFlightRequests}`,
    `    p99 per second: ${l.timeline.map((t) => Math.round(t.p99)).join(' ')} ms`,
    `    mean delivery->ack per message: ${Object.entries(l.handleMs)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ')}`,
    `    method: ${l.method}`,
    `persistence (${int(p.rows)} rows, median of ${p.trials}): scorer path ${int(p.servicePathRowsPerSec)} rows/s, BatchWriter with all rows queued ${int(p.unboundedRowsPerSec)} rows/s, COPY ${int(p.copyRowsPerSec)} rows/s`,
    `    trickle of ${p.trickleMs.burst} rows every ${p.trickleMs.intervalMs} ms: save() -> committed through the BatchWriter p50 ${ms(p.trickleMs.batchWriter.p50)} / p99 ${ms(p.trickleMs.batchWriter.p99)}; ` +
      `the same statement sent at once p50 ${ms(p.trickleMs.sameStatementDirect.p50)} / p99 ${ms(p.trickleMs.sameStatementDirect.p99)}`,
    `    one-row INSERT + COMMIT on this server: p50 ${ms(p.singleRowCommitMs.p50)}, p99 ${ms(p.singleRowCommitMs.p99)} (the WAL flush every batch pays)`,
    `    scorer path: ${p.servicePathStatements.commits} commits of ~${p.servicePathStatements.meanRows} rows, ${ms(p.servicePathStatements.meanCommitMs)} each; a commit was running ${Math.round(p.servicePathStatements.dbBusyShare * 100)}% of the time; CPU: writer ${p.servicePathStatements.clientCores} cores, postgres ${p.servicePathStatements.postgresCores} cores`,
    `validator (${int(v.records)} records, median of ${v.rounds} rounds): ${v.usPerRecord.validator.toFixed(2)} µs per record vs ${v.usPerRecord.ajv.toFixed(2)} µs for ajv alone; ` +
      `${v.compiledRules} of ${v.celRules} CEL rules run as generated code; ` +
      `verdicts: ${int(v.verdicts.valid)} valid, ${int(v.verdicts.flagged)} flagged, ${int(v.verdicts.quarantined)} quarantined`,
  ].join('\n');
}

/** The trickle phase's rate: a quiet hour's traffic, one record at a time. */
const TRICKLE_RATE = 20;
const TRICKLE_SEED = 2003;

/** The suite's own processes (the services, nats-server and Postgres; not this bench) and their cores. */
const suiteGroups = (cpu: CpuReport) => cpu.groups.filter((g) => g.label !== 'bench');
const suiteCores = (cpu: CpuReport): number => suiteGroups(cpu).reduce((sum, g) => sum + g.cores, 0);

/** The suite at a trickle: what it costs while little happens, per process, and the latency then. */
function trickleRows(t: LatencyResult): Row[] {
  const cores = suiteCores(t.cpu);
  const perProcess = suiteGroups(t.cpu)
    .map((g) => `${g.label} ${g.cores.toFixed(2)}`)
    .join(', ');
  return [
    {
      metric: `suite CPU at ${TRICKLE_RATE} rec/s (${perProcess})`,
      value: `${cores.toFixed(2)} cores`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `suite CPU per record at ${TRICKLE_RATE} rec/s`,
      value: `${((cores * 1000) / t.offeredRatePerSec).toFixed(1)} ms`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
    {
      metric: `e2e latency p50 / p99 at ${TRICKLE_RATE} rec/s, accepted -> committed`,
      value: `${ms(t.acceptedToCommittedMs.p50)} / ${ms(t.acceptedToCommittedMs.p99)}`,
      baseline: '-',
      ratio: '-',
      target: '-',
      pass: null,
    },
  ];
}

function cpuMeter(suite: RunningSuite): CpuMeter {
  return new CpuMeter([
    ...SERVICES.map((name) => ({ label: name, pids: () => [suite.services.get(name)!.pid] })),
    { label: 'nats-server', pids: () => [suite.nats.process.pid] },
    { label: 'postgres', pids: () => postgresPids(suite.db) },
    { label: 'bench', pids: () => [process.pid] },
  ]);
}

async function busyCores(windowMs: number): Promise<number> {
  const before = machineCpu();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = machineCpu();
  return (after.busy - before.busy) / (windowMs / 1000);
}

/** Transactions and table activity in the bench database, per record that went through the suite. */
async function databaseActivity(db: BenchDatabase, records: number) {
  const committed = await committedTransactions(db);
  const tables = await db.query<{ name: string; idx_scan: string | null; n_tup_ins: string }>(
    `SELECT schemaname || '.' || relname AS name, idx_scan, n_tup_ins FROM pg_stat_user_tables`,
  );
  const per = (x: number) => Math.round((x / records) * 100) / 100;
  const states = tables.find((t) => t.name === 'scorer.account_state');
  return {
    records,
    transactionsPerRecord: per(committed),
    // an upsert probes the primary key once per row: one index scan per account state written
    accountStatesWrittenPerRecord: per(Number(states?.idx_scan ?? 0)),
    rowsInsertedPerRecord: per(tables.reduce((sum, t) => sum + Number(t.n_tup_ins), 0)),
    tables: Object.fromEntries(
      tables.map((t) => [t.name, { idxScan: Number(t.idx_scan ?? 0), inserted: Number(t.n_tup_ins) }]),
    ),
  };
}

async function gitInfo(): Promise<{ commit: string; dirty: boolean }> {
  const commit = (
    await run('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).catch(() => ({ stdout: 'unknown' }))
  ).stdout.trim();
  const status = (
    await run('git', ['status', '--porcelain'], { cwd: ROOT }).catch(() => ({ stdout: '' }))
  ).stdout.trim();
  return { commit, dirty: status.length > 0 };
}

async function postgresInfo(db: BenchDatabase): Promise<{ version: string } & Record<string, string>> {
  const rows = await db.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'shared_buffers', 'wal_level', 'max_connections')`,
  );
  const [version] = await db.query<{ version: string }>('SELECT version()');
  return { version: version!.version, ...Object.fromEntries(rows.map((r) => [r.name, r.setting])) };
}

cleanupOnSignals();
main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (error: unknown) => {
    if (interrupted()) return; // the signal handler cleans up and exits
    console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(1);
  },
);
