// Phase 3: end-to-end latency under a steady, open-loop load at a given rate (half the measured maximum).
//
// Method. "Accepted" is ingest's received_at (stamped when ingest starts handling the HTTP request, kept
// in the message and in ingest.transactions); "score committed" is when this process is told the row is
// committed: a statement-level AFTER INSERT trigger on scorer.scores, added to the bench's own database
// for this phase only, calls pg_notify with the inserted ids, and Postgres delivers a notification only
// when the inserting transaction commits. So the figure is an upper bound on accepted -> committed (it also
// holds the notification's trip to this process); scored_at, which the scorer stamps before its batch
// insert, would understate it. The client-side figure (request sent -> commit seen) is shown beside it.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { onCleanup } from './lib/cleanup.ts';
import { BacklogSampler, meanHandleMs, snapshotHandleTimes, type BacklogReport } from './lib/probes.ts';
import { CpuMeter, type CpuReport } from './lib/proc.ts';
import { distribution, type Distribution } from './lib/stats.ts';
import type { RunningSuite } from './lib/suite.ts';
import { makeRecords, postBatch } from './lib/traffic.ts';

export const LATENCY_SEED = 2002;
const CHANNEL = 'vigil_bench_scored';
const IDS_PER_NOTIFICATION = 200; // a payload holds < 8,000 bytes

export const LATENCY_METHOD =
  "accepted = ingest's received_at (start of the HTTP request's handling); committed = arrival of a NOTIFY sent " +
  'by a statement-level AFTER INSERT trigger on scorer.scores (delivered only at COMMIT), added for this phase ' +
  'only; open-loop load (batches on a fixed clock, not waiting for answers)';

export interface LatencyResult {
  targetRatePerSec: number;
  offeredRatePerSec: number;
  intervalMs: number;
  meanBatch: number;
  seconds: number;
  records: number;
  method: string;
  /** received_at -> commit notification: the headline. */
  acceptedToCommittedMs: Distribution;
  /** Client's request sent -> commit notification. */
  sentToCommittedMs: Distribution;
  /** Client's request sent -> 202 answer. */
  httpMs: Distribution;
  /** Where the time goes, per record: received_at -> validated_at -> scored_at -> commit. */
  stagesMs: {
    ingestToValidator: Distribution;
    validatorToScorer: Distribution;
    scorerToCommit: Distribution;
  };
  /** Most requests in flight at once: if it grows, the offered load was more than the suite absorbs. */
  maxInFlightRequests: number;
  /** Per second of the run: are the slow records spread out, or bunched (GC, checkpoints, a stalled stage)? */
  timeline: { second: number; records: number; p50: number; p99: number; max: number }[];
  cpu: CpuReport;
  backlog: BacklogReport;
  handleMs: Record<string, number>;
}

const now = (): number => performance.timeOrigin + performance.now();

export async function measureLatency(
  suite: RunningSuite,
  options: {
    ratePerSec: number;
    seconds: number;
    intervalMs: number;
    cpu: CpuMeter;
    log: (m: string) => void;
    /** The generator's seed: records gen-<seed>-<n>; a second run in the same suite takes another. */
    seed?: number;
  },
): Promise<LatencyResult> {
  const { db } = suite;
  const seed = options.seed ?? LATENCY_SEED;
  const total = Math.ceil(options.ratePerSec * options.seconds);
  const records = await makeRecords(seed, total);

  await db.query(`
    CREATE OR REPLACE FUNCTION public.vigil_bench_notify_scored() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE ids text;
    BEGIN
      FOR ids IN
        SELECT string_agg(transaction_id, ',') FROM (
          SELECT transaction_id, (row_number() OVER ()) / ${IDS_PER_NOTIFICATION} AS chunk FROM inserted
        ) numbered GROUP BY chunk
      LOOP
        PERFORM pg_notify('${CHANNEL}', ids);
      END LOOP;
      RETURN NULL;
    END $$`);
  await db.query(`
    CREATE TRIGGER vigil_bench_notify_scored AFTER INSERT ON scorer.scores
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION public.vigil_bench_notify_scored()`);

  const committedAt = new Map<string, number>();
  const listener = new pg.Client({ connectionString: db.url });
  // a cut connection (e.g. the database dropped on Ctrl-C) must not crash the run; it shows as missing scores
  listener.on('error', () => undefined);
  const forgetListener = onCleanup('close the LISTEN connection', () =>
    listener.end().catch(() => undefined),
  );
  await listener.connect();
  listener.on('notification', (n) => {
    const at = now();
    for (const id of (n.payload ?? '').split(',')) if (id) committedAt.set(id, at);
  });
  await listener.query(`LISTEN ${CHANNEL}`);

  const sentAt = new Map<string, number>();
  const httpMs: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let failure: string | undefined;
  const requests: Promise<void>[] = [];

  const handleBefore = await snapshotHandleTimes(suite);
  const sampler = new BacklogSampler();
  await sampler.start(suite.nats.url);
  options.log(
    `offering ${Math.round(options.ratePerSec)} records/s for ${options.seconds} s, a batch every ${options.intervalMs} ms`,
  );
  await options.cpu.start();
  const started = performance.now();
  let next = 0;
  let owed = 0;
  // open loop: batch k leaves at started + k * interval whatever happened to the ones before it
  for (let tick = 0; next < records.length && !failure; tick++) {
    const due = started + tick * options.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    owed += (options.ratePerSec * options.intervalMs) / 1000;
    const size = Math.min(Math.floor(owed), records.length - next);
    if (size <= 0) continue;
    owed -= size;
    const batch = records.slice(next, next + size);
    next += size;
    const body = `[${batch.map((r) => r.json).join(',')}]`;
    const t0 = now();
    for (const r of batch) sentAt.set(r.id, t0);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    requests.push(
      postBatch(suite.ingestUrl, body).then(
        (reply) => {
          inFlight--;
          httpMs.push(now() - t0);
          if (reply.status !== 202 || reply.accepted !== size)
            failure ??= `ingest answered ${reply.status} (${reply.accepted}/${size} accepted): ${reply.body}`;
        },
        (error: Error) => {
          inFlight--;
          failure ??= `request failed: ${error.message}`;
        },
      ),
    );
  }
  const offeredSeconds = (performance.now() - started) / 1000;
  await Promise.all(requests);
  if (failure) throw new Error(failure);

  const deadline = performance.now() + 60_000;
  while (committedAt.size < records.length && performance.now() < deadline) await sleep(20);
  const cpu = await options.cpu.stop();
  const backlog = await sampler.stop();
  const handleAfter = await snapshotHandleTimes(suite);
  forgetListener();
  await listener.end();
  await db.query(`DROP TRIGGER vigil_bench_notify_scored ON scorer.scores`);
  if (committedAt.size < records.length)
    throw new Error(
      `only ${committedAt.size} of ${records.length} scores committed within 60 s of the last request`,
    );

  // the ledger writes received_at from the stream; wait until it has every record
  let stamps: { id: string; received: number; validated: number; scored: number }[] = [];
  for (let attempt = 0; attempt < 300; attempt++) {
    stamps = await db.query(
      `SELECT t.transaction_id AS id,
              extract(epoch FROM t.received_at) * 1000 AS received,
              extract(epoch FROM r.validated_at) * 1000 AS validated,
              extract(epoch FROM s.scored_at) * 1000 AS scored
         FROM ingest.transactions t
         JOIN validator.results r USING (transaction_id)
         JOIN scorer.scores s USING (transaction_id)
        WHERE t.transaction_id LIKE $1`,
      [`gen-${seed}-%`],
    );
    if (stamps.length >= records.length) break;
    await sleep(100);
  }
  const rows = stamps.map((s) => ({
    ...s,
    received: Number(s.received),
    validated: Number(s.validated),
    scored: Number(s.scored),
    committed: committedAt.get(s.id)!,
    sent: sentAt.get(s.id)!,
  }));

  return {
    targetRatePerSec: options.ratePerSec,
    offeredRatePerSec: records.length / offeredSeconds,
    intervalMs: options.intervalMs,
    meanBatch: (options.ratePerSec * options.intervalMs) / 1000,
    seconds: offeredSeconds,
    records: records.length,
    method: LATENCY_METHOD,
    acceptedToCommittedMs: distribution(rows.map((r) => r.committed - r.received)),
    sentToCommittedMs: distribution(rows.map((r) => r.committed - r.sent)),
    httpMs: distribution(httpMs),
    stagesMs: {
      ingestToValidator: distribution(rows.map((r) => r.validated - r.received)),
      validatorToScorer: distribution(rows.map((r) => r.scored - r.validated)),
      scorerToCommit: distribution(rows.map((r) => r.committed - r.scored)),
    },
    maxInFlightRequests: maxInFlight,
    timeline: perSecond(rows.map((r) => ({ at: r.received, latency: r.committed - r.received }))),
    cpu,
    backlog,
    handleMs: meanHandleMs(handleBefore, handleAfter),
  };
}

function perSecond(samples: { at: number; latency: number }[]): LatencyResult['timeline'] {
  const first = Math.min(...samples.map((s) => s.at));
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const second = Math.floor((s.at - first) / 1000);
    buckets.set(second, [...(buckets.get(second) ?? []), s.latency]);
  }
  return [...buckets]
    .sort((a, b) => a[0] - b[0])
    .map(([second, latencies]) => {
      const d = distribution(latencies);
      return { second, records: d.n, p50: d.p50, p99: d.p99, max: d.max };
    });
}
