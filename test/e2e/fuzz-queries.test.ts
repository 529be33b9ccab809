// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Property-based fuzzing of the query API: every GET route gets thousands of generated query strings, valid and
// hostile (timestamps Postgres cannot hold, huge numbers, NUL bytes, forged cursors, unknown and repeated
// parameters; the generators are in test/support/fuzz.ts). None is answered with a 5xx or a body cut short, and
// every 400 names the parameter. The routes read a database that holds what they would meet in use: 20,000 stored
// transactions over 90 days, and what generated requests (hostile records among them) left behind on their way
// through the suite. The seed is printed; FUZZ_SEED=<seed> replays a run, FUZZ_QUERIES sets its size (2,000 per
// list route in a normal run; FUZZ_QUERIES=5000 is the query API's acceptance size).
import * as fc from 'fast-check';
import { seedStoredTransactions, waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import {
  GET_ROUTES,
  QUERIES_PER_ROUTE,
  QUERY_CONCURRENCY,
  SEED,
  acceptedKeys,
  queryString,
  startFuzzSuite,
  submissionPlan,
  submitAll,
} from '../support/fuzz.js';
import { SERVICES, type Suite } from '../support/suite.js';

/** Stored transactions the routes page through, and generated requests per way in sent before the queries. */
const STORED = 20_000;
const SUBMITTED_PER_TARGET = 200;

describe(`fuzzing the query API (seed ${SEED}, ${QUERIES_PER_ROUTE} queries per list route)`, () => {
  let suite: Suite;
  let partnerToken = '';
  let adminToken = '';

  beforeAll(async () => {
    suite = await startFuzzSuite();
    partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
    adminToken = await tokenFor(suite.gatewayUrl, 'admin');
    process.stdout.write(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})\n`);
    await seedStoredTransactions((text, values) => suite.db.query(text, values), STORED);
    // hostile records among valid ones, through every way in: what they leave in the tables (quarantined records,
    // odd text in stored fields, data-quality windows) is what the queries then read
    const outcomes = await submitAll(suite, submissionPlan(SUBMITTED_PER_TARGET), partnerToken);
    const accepted = acceptedKeys(outcomes);
    await waitFor(
      async () =>
        (
          await suite.db.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1::text[])',
            [accepted],
          )
        )[0]!.n,
      (judged) => judged === accepted.length,
      { what: `all ${accepted.length} accepted records judged`, timeoutMs: 300_000 },
    );
  }, 600_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it('answers every generated query of the GET routes without a 5xx, and names the parameter of every 400', async () => {
    const plan = GET_ROUTES.flatMap((route, r) =>
      fc
        .sample(queryString(route), { numRuns: route.queries, seed: SEED + 100 + r })
        .map((query, index) => ({ route, index, query })),
    );
    const answers: { path: string; query: string; status: number; named: boolean; body: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const { route, index, query } = plan[next++]!;
        // partners read their own transactions; the admin reads everything (and the staff-only routes)
        const token =
          route.path.startsWith('/v1/transactions') && index % 3 === 0 ? partnerToken : adminToken;
        const response = await fetch(`${suite.gatewayUrl}${route.path}?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        }).catch(
          (error: unknown) =>
            new Response(`connection failed: ${String((error as Error).cause ?? error)}`, { status: 599 }),
        );
        // a body cut short (a stream that failed after its head) counts as a failure, like a 5xx
        const body = await response.text().catch((error: unknown) => `body cut short: ${String(error)}`);
        const status = body.startsWith('body cut short') ? 598 : response.status;
        const named =
          status === 400 &&
          (JSON.parse(body) as { errors?: { parameter?: string }[] }).errors?.[0]?.parameter;
        answers.push({ path: route.path, query, status, named: Boolean(named), body: body.slice(0, 400) });
      }
    };
    await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, worker));

    const byRoute: Record<string, Record<number, number>> = {};
    for (const { path, status } of answers) {
      const counts = (byRoute[path] ??= {});
      counts[status] = (counts[status] ?? 0) + 1;
    }
    process.stdout.write(`GET answers by route and status (seed ${SEED}): ${JSON.stringify(byRoute)}\n`);
    const failures = answers
      .filter((a) => a.status >= 500)
      .map((a) => `${a.path}?${a.query}: ${a.status} ${a.body.slice(0, 200)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    // a refusal names the parameter it refuses
    const unnamed = answers
      .filter((a) => a.status === 400 && !a.named)
      .map((a) => `${a.path}?${a.query}: ${a.body.slice(0, 200)}`);
    expect(unnamed.slice(0, 20)).toEqual([]);
    // the generator really mixes: each list route both answers and refuses
    for (const route of GET_ROUTES.filter((r) => r.queries === QUERIES_PER_ROUTE)) {
      expect(byRoute[route.path]?.[200] ?? 0).toBeGreaterThan(route.queries / 20);
      expect(byRoute[route.path]?.[400] ?? 0).toBeGreaterThan(route.queries / 20);
    }
    for (const name of SERVICES) expect(suite.process(name).alive).toBe(true);
  }, 900_000);
});
