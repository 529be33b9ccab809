// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Property-based fuzzing of every way records come in: the gateway's POST /v1/transactions, ingest's JSON and
// ingest's NDJSON, each with thousands of generated requests that mix valid records with hostile ones (the
// generators are in test/support/fuzz.ts). Whatever comes in, no answer is a 5xx, no service dies, and every
// record answered "accepted" ends scored or quarantined exactly once. The seed is printed; FUZZ_SEED=<seed>
// replays a run, FUZZ_REQUESTS sets its size (5,000 requests per way in). The GET routes are fuzzed in
// fuzz-queries.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import {
  REQUESTS_PER_TARGET,
  SEED,
  acceptedKeys,
  startFuzzSuite,
  submissionPlan,
  submitAll,
} from '../support/fuzz.js';
import { SERVICES, type Suite } from '../support/suite.js';

describe(`fuzzing the ways in (seed ${SEED}, ${REQUESTS_PER_TARGET} requests per target)`, () => {
  let suite: Suite;
  let partnerToken = '';

  beforeAll(async () => {
    suite = await startFuzzSuite();
    partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
    process.stdout.write(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})\n`);
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it('answers every request with a non-5xx status and ends every accepted record scored or quarantined once', async () => {
    const outcomes = await submitAll(suite, submissionPlan(REQUESTS_PER_TARGET), partnerToken);

    const dead = SERVICES.filter((name) => !suite.process(name).alive);
    if (dead.length > 0)
      process.stdout.write(
        `services that died: ${dead.join(', ')}\n${dead.map((name) => suite.process(name).output.slice(-15).join('\n')).join('\n')}\n`,
      );
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    process.stdout.write(
      `answers by status (seed ${SEED}): ${JSON.stringify(Object.fromEntries(byStatus))}\n`,
    );
    const failures = outcomes
      .filter((o) => o.status >= 500)
      .map((o) => `${o.target} #${o.index}: ${o.status} ${o.body.slice(0, 160)}`);
    expect(failures.slice(0, 20)).toEqual([]);

    // the generator must really mix: plenty of records got in, plenty were refused
    const acceptedIds = acceptedKeys(outcomes);
    expect(acceptedIds.length).toBeGreaterThan(REQUESTS_PER_TARGET / 2);
    expect(outcomes.filter((o) => o.status >= 400).length).toBeGreaterThan(REQUESTS_PER_TARGET / 20);

    // every accepted record reaches a verdict, and a valid one a score; each exactly once
    const count = async (sql: string): Promise<number> =>
      (await suite.db.query<{ n: number }>(sql, [acceptedIds]))[0]!.n;
    await waitFor(
      async () => ({
        judged: await count(
          `SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1::text[])`,
        ),
        unscored: await count(
          `SELECT count(*)::int AS n FROM validator.results r
           WHERE r.transaction_id = ANY($1::text[]) AND r.status = 'valid'
             AND NOT EXISTS (SELECT 1 FROM scorer.scores s WHERE s.transaction_id = r.transaction_id)`,
        ),
      }),
      ({ judged, unscored }) => judged === acceptedIds.length && unscored === 0,
      {
        what: `all ${acceptedIds.length} accepted records judged and the valid ones scored`,
        timeoutMs: 600_000,
      },
    );
    const quarantinedWithoutRecord = await count(
      `SELECT count(*)::int AS n FROM validator.results r
       WHERE r.transaction_id = ANY($1::text[]) AND r.status = 'quarantined'
         AND NOT EXISTS (SELECT 1 FROM validator.quarantine q WHERE q.transaction_id = r.transaction_id)`,
    );
    expect(quarantinedWithoutRecord).toBe(0);
    const scoredAndQuarantined = await count(
      `SELECT count(*)::int AS n FROM scorer.scores s JOIN validator.results r USING (transaction_id)
       WHERE s.transaction_id = ANY($1::text[]) AND r.status = 'quarantined'`,
    );
    expect(scoredAndQuarantined).toBe(0);
    // nothing else trickles in later
    await sleep(1_000);
    expect(
      await count(`SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1::text[])`),
    ).toBe(acceptedIds.length);

    // no service died or restarted on the way
    for (const name of SERVICES) expect(suite.process(name).alive).toBe(true);
    const fatal = suite.logs().filter((line) => /"level":(60|"fatal")/.test(line));
    expect(fatal).toEqual([]);
  }, 1_800_000);
});
