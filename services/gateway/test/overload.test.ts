// Overload is back-pressure: with far more concurrent readers than database connections, and with every
// connection stuck behind a lock, each answer of the query API is a 2xx or a 503 with Retry-After, never a 500.
// A real gateway on a real Postgres with a pool of 2 connections meets 400 concurrent connections.
import http from 'node:http';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, seedStoredTransactions } from '@vigil/testing';
import pg from 'pg';
import { startGateway } from '../src/app.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

const CONNECTIONS = 400;
const USERS = ['admin', 'analyst', 'analyst-ng', 'partner-a', 'partner-b'] as const;
// routes every one of USERS may call in its own scope
// (each list request asks for its own page size, so no two share a read: every one needs a connection)
const ROUTES = [
  (i: number) => `/v1/transactions?limit=${1 + i}`,
  (i: number) => `/v1/transactions?status=scored&min_score=0.5&limit=${1 + i}`,
  () => '/v1/transactions/export?min_score=0.95&from=2026-01-01T00:00:00Z',
];

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
const tokens: string[] = [];
// one socket per request in flight: 400 connections really are open at once
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  await seedStoredTransactions((text, values) => db.query(text, values), 20_000);
  gateway = await startGateway(
    testGatewayEnv(nats, db, {
      GATEWAY_DB_POOL_SIZE: 2,
      GATEWAY_DB_ACQUIRE_TIMEOUT_MS: 200,
      GATEWAY_DB_STATEMENT_TIMEOUT_MS: 1000,
      GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: 0,
      // a page read a moment ago is answered from memory; here every request must meet the database
      GATEWAY_LIST_FRESHNESS_MS: 0,
    }),
  );
  for (const username of USERS) {
    const response = await fetch(`${gateway.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: TEST_PASSWORD }),
    });
    tokens.push(((await response.json()) as { access_token: string }).access_token);
  }
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await gateway?.close();
  await nats?.stop();
  await db?.drop();
});

interface Answer {
  status: number;
  retryAfter: string | null;
}

/** CONNECTIONS requests at once over as many sockets, spread over the routes and the users' tokens. */
async function wave(): Promise<Answer[]> {
  return Promise.all(
    Array.from(
      { length: CONNECTIONS },
      (_, i) =>
        new Promise<Answer>((resolve, reject) => {
          const request = http.get(
            `${gateway.url}${ROUTES[i % ROUTES.length]!(i)}`,
            { agent, headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } },
            (response) => {
              response.resume();
              // a body cut short (an export whose stream failed after its head) counts as a failure
              response.on('close', () =>
                resolve({
                  status: response.complete ? (response.statusCode ?? 0) : 598,
                  retryAfter: response.headers['retry-after'] ?? null,
                }),
              );
            },
          );
          request.on('error', reject);
        }),
    ),
  );
}

function count(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, retryAfter } of answers) {
    const kind =
      status === 503 ? (retryAfter ? '503 with Retry-After' : '503 without Retry-After') : String(status);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

const acceptable = ({ status, retryAfter }: Answer) =>
  (status >= 200 && status < 300) || (status === 503 && retryAfter !== null && Number(retryAfter) >= 1);

it('answers 400 concurrent connections with a 2xx or a 503 with Retry-After, never a 500', async () => {
  const answers = await wave();
  process.stdout.write(`400 connections, pool of 2: ${JSON.stringify(count(answers))}\n`);
  expect(answers.filter((a) => !acceptable(a)).map((a) => a.status)).toEqual([]);
  // both kinds really happen: the pool is exhausted, and what it serves succeeds
  expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
  expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
}, 60_000);

it('answers 503 with Retry-After while every connection waits on a stalled database, then serves again', async () => {
  // a migration or a long report holding the table: the pool's connections wait on it until their statement times out
  const blocker = new pg.Client({ connectionString: db.url });
  await blocker.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE ingest.transactions IN ACCESS EXCLUSIVE MODE');
  let stalled: Answer[];
  try {
    stalled = await wave();
  } finally {
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
  process.stdout.write(`400 connections, database stalled: ${JSON.stringify(count(stalled))}\n`);
  const transactionRoutes = stalled.filter((_, i) =>
    ROUTES[i % ROUTES.length]!(i).startsWith('/v1/transactions'),
  );
  expect(transactionRoutes.filter((a) => !(a.status === 503 && a.retryAfter !== null))).toEqual([]);
  expect(stalled.filter((a) => !acceptable(a)).map((a) => a.status)).toEqual([]);

  const after = await wave();
  expect(after.filter((a) => !acceptable(a)).map((a) => a.status)).toEqual([]);
  expect(after.filter((a) => a.status === 200).length).toBeGreaterThan(0);
}, 60_000);
