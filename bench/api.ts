// API phase: the query API under 200 concurrent connections holding 200 distinct bearer tokens (admin, analysts,
// fraud-ops, partners), over 1,000,000 stored transactions, beside bare fastify answering a hello-world on the same
// machine in the same run. Four routes are loaded at once, a quarter of the connections each: the list's first
// page, a search (filters and keyset pages), a CSV export of one hour, and one transaction with its accounts'
// history. Each route's p50/p95, req/s and 5xx are its own.
import autocannon from 'autocannon';
import { seedStoredTransactions } from '../libs/testing/src/stored-transactions.ts';
import { measureBareFastify, signIn } from './gateway.ts';
import { CpuMeter } from './lib/proc.ts';
import { distribution, type Distribution } from './lib/stats.ts';
import { committedTransactions, postgresPids, type RunningSuite } from './lib/suite.ts';

export const API_TARGETS = { ratio: 0.1, p95Ms: 100, serverErrors: 0 } as const;
export const API_ROWS = 1_000_000;
const USERS = ['admin', 'analyst', 'analyst-ng', 'fraud-ops', 'partner-a', 'partner-b'] as const;
type User = (typeof USERS)[number];
const WARM_UP_SECONDS = 3;
const ALONE_SECONDS = 8;
const REGIONS = ['NG', 'KE', 'GH', 'ZA', 'UG'] as const;
const TYPES = ['CASH_OUT', 'PAYMENT', 'CASH_IN', 'TRANSFER', 'DEBIT'] as const;

export interface RouteRun {
  route: string;
  example: string;
  connections: number;
  requests: number;
  requestsPerSec: number;
  latencyMs: Distribution;
  serverErrors: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * One route loaded alone (its 50 connections, nothing else): the CPU one answer costs in each process that
 * serves it, from /proc over the run. With the machine's cores shared by all four routes, these say what a
 * route's answer costs against the others, and so where its latency in the mix comes from.
 */
export interface RouteCost {
  route: string;
  requestsPerSec: number;
  p95Ms: number;
  /** CPU µs per answer: the gateway process, the Postgres backends of the bench database, and this process. */
  gatewayUs: number;
  postgresUs: number;
  loadGeneratorUs: number;
  /** Postgres transactions per answer (pg_stat_database.xact_commit). */
  transactionsPerAnswer: number;
  /** Busy cores of the whole machine meanwhile. */
  machineBusyCores: number;
}

export interface ApiResult {
  rows: number;
  seedSeconds: number;
  connections: number;
  seconds: number;
  tokens: number;
  users: readonly string[];
  bareFastify: { requestsPerSec: number; latencyMs: Distribution };
  routes: RouteRun[];
  /** Each route alone, after the mix: CPU per answer by process. */
  costs: RouteCost[];
  requestsPerSec: number;
  ratio: number;
  targets: typeof API_TARGETS;
  pass: { ratio: boolean; p95: boolean; serverErrors: boolean };
}

interface Options {
  connections: number;
  seconds: number;
  password: string;
  log: (message: string) => void;
}

/** Seeds the stored transactions straight into the pipeline's tables, the way a long-running suite holds them. */
export async function seedForApi(suite: RunningSuite, log: (message: string) => void): Promise<number> {
  const started = performance.now();
  await seedStoredTransactions((text, values) => suite.db.query(text, values), API_ROWS);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  log(
    `  stored ${API_ROWS.toLocaleString('en')} transactions over 90 days in ${seconds} s (one INSERT, then ANALYZE)`,
  );
  return seconds;
}

export async function measureApi(
  suite: RunningSuite,
  seedSeconds: number,
  options: Options,
): Promise<ApiResult> {
  const { connections, seconds, log } = options;
  const tokens: { user: User; token: string }[] = [];
  for (let i = 0; i < connections; i++) {
    const user = USERS[i % USERS.length]!;
    tokens.push({ user, token: await signIn(suite.gatewayUrl, user, options.password) });
  }
  log(`  signed in ${tokens.length} distinct tokens of ${USERS.join(', ')}`);

  const bare = await measureBareFastify(
    tokens.map((t) => t.token),
    connections,
    seconds,
    log,
  );

  const perRoute = Math.floor(connections / ROUTES.length);
  log(
    `  gateway: ${ROUTES.map((r) => r.name).join(', ')} at once, ${perRoute} connections each, ${seconds} s`,
  );
  await Promise.all(
    ROUTES.map((route, r) => loadRoute(suite.gatewayUrl, route, tokens, r, perRoute, WARM_UP_SECONDS)),
  );
  const routes = await Promise.all(
    ROUTES.map((route, r) => loadRoute(suite.gatewayUrl, route, tokens, r, perRoute, seconds)),
  );
  for (const run of routes)
    log(
      `    ${run.route.padEnd(8)} ${run.requestsPerSec} req/s, p50 ${run.latencyMs.p50} ms, p95 ${run.latencyMs.p95} ms, 5xx ${run.serverErrors}, non-2xx ${run.non2xx}`,
    );
  log(`  each route alone, ${perRoute} connections, ${ALONE_SECONDS} s: CPU per answer by process`);
  const costs: RouteCost[] = [];
  for (const [r, route] of ROUTES.entries()) {
    const cost = await measureRouteCost(suite, route, tokens, r, perRoute);
    costs.push(cost);
    log(
      `    ${cost.route.padEnd(8)} ${cost.requestsPerSec} req/s, p95 ${cost.p95Ms} ms; per answer: gateway ${cost.gatewayUs} µs, postgres ${cost.postgresUs} µs, load generator ${cost.loadGeneratorUs} µs; ${cost.transactionsPerAnswer} transactions; machine ${cost.machineBusyCores} cores busy`,
    );
  }
  const requestsPerSec = routes.reduce((sum, run) => sum + run.requestsPerSec, 0);
  const ratio = requestsPerSec / bare.requestsPerSec;
  const serverErrors = routes.reduce((sum, run) => sum + run.serverErrors + run.errors + run.timeouts, 0);
  return {
    rows: API_ROWS,
    seedSeconds,
    connections: perRoute * ROUTES.length,
    seconds,
    tokens: tokens.length,
    users: USERS,
    bareFastify: bare,
    routes,
    costs,
    requestsPerSec,
    ratio,
    targets: API_TARGETS,
    pass: {
      ratio: ratio >= API_TARGETS.ratio,
      p95: routes.every((run) => run.latencyMs.p95 <= API_TARGETS.p95Ms),
      serverErrors: serverErrors <= API_TARGETS.serverErrors,
    },
  };
}

/** A stored transaction the user may read, as the user names it (a partner its own id, staff the stored key). */
function transactionIdFor(user: User, n: number): string {
  // stored row i belongs to partner-a when i % 5 = 0, partner-b when 1, none when 4; its region is (i / 5) % 5
  const base = Math.floor(n % (API_ROWS / 25)) * 25;
  if (user === 'partner-a') return `seed-${base + 5}`;
  if (user === 'partner-b') return `seed-${base + 1}`;
  if (user === 'analyst-ng') return `partner-a~seed-${base}`; // (base / 5) % 5 = 0: NG
  return n % 2 === 0 ? `partner-b~seed-${base + 1}` : `seed-${base + 4}`;
}

interface Route {
  name: string;
  path: (user: User, n: number, now: number) => string;
}

const HOUR = 3_600_000;
const ROUTES: Route[] = [
  { name: 'list', path: () => '/v1/transactions?limit=50' },
  {
    name: 'search',
    path: (user, n, now) => {
      const region = user === 'analyst-ng' ? 'NG' : REGIONS[n % REGIONS.length]!;
      const searches = [
        `region=${region}&min_score=0.8&limit=50`,
        `type=${TYPES[n % TYPES.length]}&status=scored&limit=50`,
        `status=quarantined&limit=20`,
        `region=${region}&from=${new Date(now - 7 * 24 * HOUR).toISOString()}&to=${new Date(now - 6 * 24 * HOUR).toISOString()}&limit=100`,
      ];
      return `/v1/transactions?${searches[n % searches.length]}`;
    },
  },
  {
    name: 'export',
    path: (user, n, now) => {
      const region = user === 'analyst-ng' ? 'NG' : REGIONS[n % REGIONS.length]!;
      const to = now - (n % 48) * HOUR;
      return `/v1/transactions/export?region=${region}&from=${new Date(to - HOUR).toISOString()}&to=${new Date(to).toISOString()}`;
    },
  },
  {
    name: 'detail',
    path: (user, n) => `/v1/transactions/${encodeURIComponent(transactionIdFor(user, n))}?history=10`,
  },
];

async function measureRouteCost(
  suite: RunningSuite,
  route: Route,
  tokens: { user: User; token: string }[],
  offset: number,
  connections: number,
): Promise<RouteCost> {
  const gateway = suite.services.get('gateway')!.pid;
  const meter = new CpuMeter([
    { label: 'gateway', pids: () => [gateway] },
    { label: 'postgres', pids: () => postgresPids(suite.db) },
    { label: 'load generator', pids: () => [process.pid] },
  ]);
  const before = await committedTransactions(suite.db);
  await meter.start();
  const run = await loadRoute(suite.gatewayUrl, route, tokens, offset, connections, ALONE_SECONDS);
  const cpu = await meter.stop();
  // backends report their counts when idle, at most a second late: at both ends alike
  const transactions = (await committedTransactions(suite.db)) - before;
  const perAnswer = (label: string) =>
    Math.round((cpu.groups.find((g) => g.label === label)!.cpuSeconds / Math.max(1, run.requests)) * 1e6);
  return {
    route: route.name,
    requestsPerSec: run.requestsPerSec,
    p95Ms: run.latencyMs.p95,
    gatewayUs: perAnswer('gateway'),
    postgresUs: perAnswer('postgres'),
    loadGeneratorUs: perAnswer('load generator'),
    transactionsPerAnswer: Math.round((transactions / Math.max(1, run.requests)) * 100) / 100,
    machineBusyCores: Math.round(cpu.machine.busyCores * 100) / 100,
  };
}

async function loadRoute(
  gatewayUrl: string,
  route: Route,
  tokens: { user: User; token: string }[],
  offset: number,
  connections: number,
  seconds: number,
): Promise<RouteRun> {
  let nextConnection = 0;
  let counter = offset * 7919;
  const latencies: number[] = [];
  let serverErrors = 0;
  const now = Date.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: gatewayUrl,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'GET',
            setupRequest: (request, context: { holder?: { user: User; token: string } }) => {
              // each connection keeps one token: 200 connections, 200 principals' tokens
              context.holder ??= tokens[(offset + ROUTES.length * nextConnection++) % tokens.length]!;
              counter += 1;
              return {
                ...request,
                path: route.path(context.holder.user, counter, now),
                headers: { ...request.headers, authorization: `Bearer ${context.holder.token}` },
              };
            },
          },
        ],
      },
      (error, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (status >= 500) serverErrors += 1;
    });
  });
  return {
    route: route.name,
    example: route.path('admin', 1, now),
    connections,
    requests: result.requests.total,
    requestsPerSec: Math.round(result.requests.total / result.duration),
    latencyMs: distribution(latencies),
    serverErrors,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
