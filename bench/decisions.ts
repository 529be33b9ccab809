// Decisions phase: POST /v1/decisions at a fixed offered rate (200 requests/s for 30 s), every request a new
// transaction of partner-a on a pool of accounts, against the whole running suite (each decided transaction then
// goes on through the pipeline), beside the same POST to a bare fastify handler at the same rate in the same run.
// The latency is each answer's, from autocannon's send; any non-200 answer or socket error counts as an error.
import autocannon from 'autocannon';
import { newTransaction } from '../libs/testing/src/factories.ts';
import { freePort, Managed } from './lib/proc.ts';
import { distribution, type Distribution } from './lib/stats.ts';
import type { RunningSuite } from './lib/suite.ts';
import { signIn } from './gateway.ts';

export const DECISION_TARGETS = { rate: 200, seconds: 30, p50Ms: 10, p99Ms: 50, errors: 0 } as const;
const CONNECTIONS = 32;
const ACCOUNTS = 2_000;
const WARM_UP_SECONDS = 3;
const HELLO = new URL('./lib/hello-fastify.ts', import.meta.url).pathname;

export interface RateRun {
  offered: number;
  answered: number;
  seconds: number;
  latencyMs: Distribution;
  errors: number;
}

export interface DecisionsResult {
  rate: number;
  seconds: number;
  connections: number;
  decisions: RateRun;
  bareFastify: RateRun;
  pass: { p50: boolean; p99: boolean; errors: boolean };
}

export async function measureDecisions(
  suite: RunningSuite,
  options: { password: string; log: (message: string) => void; seconds?: number; rate?: number },
): Promise<DecisionsResult> {
  const { log } = options;
  const seconds = options.seconds ?? DECISION_TARGETS.seconds;
  const rate = options.rate ?? DECISION_TARGETS.rate;
  const token = await signIn(suite.gatewayUrl, 'partner-a', options.password);
  let n = 0;
  const body = () => {
    n += 1;
    const record = newTransaction({ amount: `${(n % 5_000) + 1}.${String(n % 100).padStart(2, '0')}` });
    return JSON.stringify({
      ...record,
      origin: { ...record.origin, account: `C-bench-${n % ACCOUNTS}` },
      destination: { account: `M-bench-${(n * 7) % ACCOUNTS}` },
    });
  };

  const port = await freePort();
  const hello = new Managed('bare-fastify', process.execPath, [HELLO], {
    ...process.env,
    PORT: String(port),
  });
  let bareFastify: RateRun;
  try {
    await waitAnswering(`http://127.0.0.1:${port}/`, hello);
    log(`  bare fastify POST handler: ${rate} requests/s offered, ${seconds} s`);
    await atRate(`http://127.0.0.1:${port}/`, token, body, rate, WARM_UP_SECONDS);
    bareFastify = await atRate(`http://127.0.0.1:${port}/`, token, body, rate, seconds);
  } finally {
    await hello.stop();
  }
  log(`    p50 ${bareFastify.latencyMs.p50} ms, p99 ${bareFastify.latencyMs.p99} ms`);

  log(`  POST /v1/decisions: ${rate} requests/s offered, ${seconds} s, ${CONNECTIONS} connections`);
  await atRate(`${suite.gatewayUrl}/v1/decisions`, token, body, rate, WARM_UP_SECONDS);
  const decisions = await atRate(`${suite.gatewayUrl}/v1/decisions`, token, body, rate, seconds);
  log(
    `    ${decisions.answered} answered, p50 ${decisions.latencyMs.p50} ms, p99 ${decisions.latencyMs.p99} ms, ${decisions.errors} errors`,
  );
  return {
    rate,
    seconds,
    connections: CONNECTIONS,
    decisions,
    bareFastify,
    pass: {
      p50: decisions.latencyMs.p50 <= DECISION_TARGETS.p50Ms,
      p99: decisions.latencyMs.p99 <= DECISION_TARGETS.p99Ms,
      errors: decisions.errors <= DECISION_TARGETS.errors,
    },
  };
}

async function atRate(
  url: string,
  token: string,
  body: () => string,
  rate: number,
  seconds: number,
): Promise<RateRun> {
  const latencies: number[] = [];
  let errors = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        connections: CONNECTIONS,
        overallRate: rate,
        duration: seconds,
        timeout: 10,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
      },
      (error, done) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (status !== 200) errors += 1;
    });
  });
  return {
    offered: rate * seconds,
    answered: latencies.length,
    seconds,
    latencyMs: distribution(latencies),
    errors: errors + result.errors + result.timeouts,
  };
}

async function waitAnswering(url: string, server: Managed): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!server.alive) throw new Error(`bare fastify exited:\n${server.tail.join('\n')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('bare fastify did not answer');
}
