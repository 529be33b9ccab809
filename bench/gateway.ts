// Gateway phase: authenticated GET /v1/summary under 200 concurrent clients (autocannon), beside bare fastify
// answering a hello-world on the same machine in the same run. Each client holds the bearer token of one of a
// handful of signed-in users (admin, analyst, two partners; a few tokens per user), so the summary is served for
// several scopes at once, as on a morning when everyone opens the dashboard.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Managed, freePort } from './lib/proc.ts';
import { distribution, type Distribution } from './lib/stats.ts';
import type { RunningSuite } from './lib/suite.ts';

export const GATEWAY_TARGETS = { ratio: 0.35, p95Ms: 50, errors: 0 } as const;
const USERS = ['admin', 'analyst', 'partner-a', 'partner-b'] as const;
const TOKENS_PER_USER = 5;
const WARM_UP_SECONDS = 2;
const HELLO = fileURLToPath(new URL('./lib/hello-fastify.ts', import.meta.url));

export interface LoadRun {
  url: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSec: number;
  latencyMs: Distribution;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface GatewayResult {
  connections: number;
  seconds: number;
  users: readonly string[];
  tokens: number;
  bareFastify: LoadRun;
  gateway: LoadRun;
  ratio: number;
  targets: typeof GATEWAY_TARGETS;
  pass: { ratio: boolean; p95: boolean; errors: boolean };
  /** What the gateway served: the admin's summary at the end of the run. */
  summarySample: { transactions: number; regions: number; refreshMs: number | null; bytes: number };
}

interface Options {
  connections: number;
  seconds: number;
  password: string;
  log: (message: string) => void;
}

export async function measureGateway(suite: RunningSuite, options: Options): Promise<GatewayResult> {
  const { connections, seconds, log } = options;
  const tokens: string[] = [];
  for (const user of USERS)
    for (let i = 0; i < TOKENS_PER_USER; i++)
      tokens.push(await signIn(suite.gatewayUrl, user, options.password));

  const bareFastify = await measureBareFastify(tokens, connections, seconds, log);

  const summaryUrl = `${suite.gatewayUrl}/v1/summary`;
  log(
    `  gateway GET /v1/summary: ${connections} connections, ${tokens.length} tokens of ${USERS.join(', ')}, ${seconds} s`,
  );
  await load(summaryUrl, tokens, connections, WARM_UP_SECONDS);
  const gateway = await load(summaryUrl, tokens, connections, seconds);
  log(`    ${Math.round(gateway.requestsPerSec)} req/s, p95 ${gateway.latencyMs.p95} ms`);

  const sample = await fetch(summaryUrl, { headers: { authorization: `Bearer ${tokens[0]}` } });
  const text = await sample.text();
  const body = JSON.parse(text) as {
    volume: { transactions: number };
    regions: unknown[];
    health: { refresh_ms: number } | null;
  };
  const ratio = gateway.requestsPerSec / bareFastify.requestsPerSec;
  const errors = gateway.errors + gateway.timeouts + gateway.non2xx;
  return {
    connections,
    seconds,
    users: USERS,
    tokens: tokens.length,
    bareFastify,
    gateway,
    ratio,
    targets: GATEWAY_TARGETS,
    pass: {
      ratio: ratio >= GATEWAY_TARGETS.ratio,
      p95: gateway.latencyMs.p95 <= GATEWAY_TARGETS.p95Ms,
      errors: errors <= GATEWAY_TARGETS.errors,
    },
    summarySample: {
      transactions: body.volume.transactions,
      regions: body.regions.length,
      refreshMs: body.health?.refresh_ms ?? null,
      bytes: Buffer.byteLength(text),
    },
  };
}

/** Bare fastify answering a hello-world, loaded like the gateway (same headers), started and stopped here. */
export async function measureBareFastify(
  tokens: string[],
  connections: number,
  seconds: number,
  log: (message: string) => void,
): Promise<LoadRun> {
  const port = await freePort();
  const hello = new Managed('bare-fastify', process.execPath, [HELLO], {
    ...process.env,
    PORT: String(port),
  });
  let bareFastify: LoadRun;
  try {
    const helloUrl = `http://127.0.0.1:${port}/`;
    await waitListening(helloUrl, hello);
    log(`  bare fastify hello-world: ${connections} connections, ${seconds} s`);
    await load(helloUrl, tokens, connections, WARM_UP_SECONDS);
    bareFastify = await load(helloUrl, tokens, connections, seconds);
  } finally {
    await hello.stop();
  }
  log(`    ${Math.round(bareFastify.requestsPerSec)} req/s, p95 ${bareFastify.latencyMs.p95} ms`);
  return bareFastify;
}

export async function signIn(gatewayUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok)
    throw new Error(`sign-in as ${username} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function waitListening(url: string, server: Managed): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!server.alive) throw new Error(`bare fastify exited:\n${server.tail.join('\n')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`bare fastify did not listen on ${url}`);
}

/**
 * One autocannon run. Both targets get the same requests, bearer token and a browser's Accept-Encoding included
 * (bare fastify ignores both), so the client does the same work per request; latencies are every response's
 * own, for exact percentiles.
 */
/** What the dashboard's browser sends: its summary polls are compressed as they would be in production. */
const BROWSER_ENCODINGS = 'gzip, deflate, br';

async function load(url: string, tokens: string[], connections: number, seconds: number): Promise<LoadRun> {
  let next = 0;
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'GET',
            setupRequest: (request, context: { authorization?: string }) => {
              context.authorization ??= `Bearer ${tokens[next++ % tokens.length]}`;
              return {
                ...request,
                headers: {
                  ...request.headers,
                  authorization: context.authorization,
                  'accept-encoding': BROWSER_ENCODINGS,
                },
              };
            },
          },
        ],
      },
      (error, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  return {
    url: url.replace(/^http:\/\/[^/]+/, ''),
    connections,
    seconds,
    requests: result.requests.total,
    requestsPerSec: Math.round(result.requests.total / result.duration),
    latencyMs: distribution(latencies),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Records for the standalone run: generated transactions through ingest, then waits until all are scored. */
export async function seedForGateway(
  suite: RunningSuite,
  records: number,
  log: (message: string) => void,
): Promise<void> {
  const { makeBatches, postBatch } = await import('./lib/traffic.ts');
  const batches = await makeBatches(4004, records, 500);
  for (const batch of batches) {
    const reply = await postBatch(suite.ingestUrl, batch.body);
    if (reply.status !== 202 && reply.status !== 200)
      throw new Error(`ingest answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    // every record ends scored or quarantined
    const [row] = await suite.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM scorer.scores) + (SELECT count(*) FROM validator.results WHERE status = 'quarantined') AS n`,
    );
    if (Number(row!.n) >= records) break;
    if (Date.now() > deadline)
      throw new Error(`only ${row!.n} of ${records} seeded records were processed in 120 s`);
    await sleep(250);
  }
  log(`  seeded ${records} generated transactions (scored)`);
}
