// Phase 2: end-to-end throughput. Batches of 1,000 over HTTP from a few clients, timed from the first request
// until scorer.scores holds every record; then every id is checked to be there exactly once.
import { setTimeout as sleep } from 'node:timers/promises';
import { BacklogSampler, meanHandleMs, snapshotHandleTimes, type BacklogReport } from './lib/probes.ts';
import { CpuMeter, type CpuReport } from './lib/proc.ts';
import { distribution, type Distribution } from './lib/stats.ts';
import type { RunningSuite } from './lib/suite.ts';
import { makeBatches, postBatch, type Batch } from './lib/traffic.ts';

export const THROUGHPUT_SEED = 1001;
const WARMUP_SEED = 1000;
const BATCH_SIZE = 1000;
export const WARMUP_RECORDS = 4000;
const MIN_POLL_MS = 10;
const MAX_POLL_MS = 500;

export interface ThroughputResult {
  records: number;
  clients: number;
  batchSize: number;
  /** First request sent to the last record's score seen committed in scorer.scores. */
  seconds: number;
  recordsPerSec: number;
  /** First request to the last 202: how fast ingest alone took the records in. */
  ingestSeconds: number;
  ingestRecordsPerSec: number;
  /** The completion poll's last interval: the end time is late by at most this plus one count(*). */
  finalPollMs: number;
  zeroLoss: {
    ok: boolean;
    expected: number;
    accepted: number;
    scoredRows: number;
    distinctIds: number;
    missing: number;
    unexpected: number;
    quarantined: number;
    duplicatesReported: number;
    rejected: number;
    retried503: number;
  };
  httpMs: Distribution;
  cpu: CpuReport;
  backlog: BacklogReport;
  handleMs: Record<string, number>;
  /** Seconds after the last score until ingest.transactions (the ledger) also held every record. */
  ledgerLagSeconds: number;
}

export async function measureThroughput(
  suite: RunningSuite,
  options: { records: number; clients: number; cpu: CpuMeter; log: (m: string) => void },
): Promise<ThroughputResult> {
  const { db } = suite;
  const warmup = await makeBatches(WARMUP_SEED, WARMUP_RECORDS, BATCH_SIZE);
  const batches = await makeBatches(THROUGHPUT_SEED, options.records, BATCH_SIZE);
  const expected = new Set(batches.flatMap((b) => b.ids));

  options.log(`warm-up: ${WARMUP_RECORDS} records`);
  await send(suite.ingestUrl, warmup, options.clients);
  await waitForRows(suite, WARMUP_RECORDS, 60_000);

  const before = await countRows(suite);
  const handleBefore = await snapshotHandleTimes(suite);
  const sampler = new BacklogSampler();
  await sampler.start(suite.nats.url);
  options.log(
    `measuring: ${options.records} records, ${options.clients} clients × ${BATCH_SIZE}-record batches`,
  );
  await options.cpu.start();
  const started = performance.now();
  const sending = send(suite.ingestUrl, batches, options.clients);
  let sendFailure: string | undefined;
  sending.catch((error: Error) => (sendFailure = error.message));
  const done = await waitForRows(suite, before.total + options.records, 180_000, () => sendFailure);
  const seconds = (done - started) / 1000;
  const cpu = await options.cpu.stop();
  const backlog = await sampler.stop();
  const result = await sending;
  const handleAfter = await snapshotHandleTimes(suite);

  // zero loss: every expected id once in scorer.scores (or, if the validator refused it, in quarantine)
  const rows = await db.query<{ transaction_id: string }>(
    `SELECT transaction_id FROM scorer.scores WHERE transaction_id LIKE $1`,
    [`gen-${THROUGHPUT_SEED}-%`],
  );
  const seen = new Set(rows.map((r) => r.transaction_id));
  const [quarantine] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM validator.quarantine WHERE transaction_id LIKE $1`,
    [`gen-${THROUGHPUT_SEED}-%`],
  );
  const missing = [...expected].filter((id) => !seen.has(id)).length;
  const unexpected = [...seen].filter((id) => !expected.has(id)).length;
  const zeroLoss = {
    ok: missing === 0 && unexpected === 0 && rows.length === expected.size && seen.size === expected.size,
    expected: expected.size,
    accepted: result.accepted,
    scoredRows: rows.length,
    distinctIds: seen.size,
    missing,
    unexpected,
    quarantined: quarantine?.n ?? 0,
    duplicatesReported: result.duplicates,
    rejected: result.rejected,
    retried503: result.retried,
  };

  const ledgerDone = await waitForLedger(suite, expected.size);
  return {
    records: options.records,
    clients: options.clients,
    batchSize: BATCH_SIZE,
    seconds,
    recordsPerSec: options.records / seconds,
    ingestSeconds: (result.lastReplyAt - started) / 1000,
    ingestRecordsPerSec: options.records / ((result.lastReplyAt - started) / 1000),
    finalPollMs: MIN_POLL_MS,
    zeroLoss,
    httpMs: distribution(result.httpMs),
    cpu,
    backlog,
    handleMs: meanHandleMs(handleBefore, handleAfter),
    ledgerLagSeconds: Math.max(0, (ledgerDone - done) / 1000),
  };
}

interface SendResult {
  accepted: number;
  duplicates: number;
  rejected: number;
  retried: number;
  httpMs: number[];
  lastReplyAt: number;
  failure?: string;
}

/** `clients` loops, each posting the next batch when its previous one is answered; a 503 is retried. */
async function send(ingestUrl: string, batches: Batch[], clients: number): Promise<SendResult> {
  const result: SendResult = {
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    retried: 0,
    httpMs: [],
    lastReplyAt: 0,
  };
  let next = 0;
  const client = async () => {
    while (next < batches.length && !result.failure) {
      const batch = batches[next++]!;
      for (;;) {
        const t0 = performance.now();
        const reply = await postBatch(ingestUrl, batch.body);
        const t1 = performance.now();
        if (reply.status === 503) {
          result.retried++;
          await sleep(50);
          continue;
        }
        if (reply.status !== 202) {
          result.failure = `ingest answered ${reply.status}: ${reply.body}`;
          return;
        }
        result.httpMs.push(t1 - t0);
        result.lastReplyAt = Math.max(result.lastReplyAt, t1);
        result.accepted += reply.accepted;
        result.duplicates += reply.duplicates;
        result.rejected += reply.rejected;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  if (result.failure) throw new Error(result.failure);
  return result;
}

async function countRows(
  suite: RunningSuite,
): Promise<{ scores: number; quarantine: number; total: number }> {
  const [row] = await suite.db.query<{ scores: number; quarantine: number }>(
    `SELECT (SELECT count(*) FROM scorer.scores)::int AS scores,
            (SELECT count(*) FROM validator.quarantine)::int AS quarantine`,
  );
  return { scores: row!.scores, quarantine: row!.quarantine, total: row!.scores + row!.quarantine };
}

/**
 * Polls until scores + quarantine reach `target`; returns the time (performance.now) it was first seen.
 * count(*) over a growing table costs Postgres CPU the suite needs, so the poll is rare while much is
 * missing and frequent (10 ms) only near the end, from the rate seen so far.
 */
async function waitForRows(
  suite: RunningSuite,
  target: number,
  timeoutMs: number,
  failed: () => string | undefined = () => undefined,
): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  let last = { scores: 0, quarantine: 0, total: 0 };
  const first = await countRows(suite);
  while (performance.now() < deadline) {
    last = await countRows(suite);
    if (last.total >= target) return performance.now();
    const failure = failed();
    if (failure) throw new Error(failure);
    for (const [name, service] of suite.services)
      if (!service.alive) throw new Error(`${name} died:\n${service.tail.slice(-20).join('\n')}`);
    const perMs = (last.total - first.total) / Math.max(1, performance.now() - started);
    const etaMs = perMs > 0 ? (target - last.total) / perMs : MAX_POLL_MS;
    await sleep(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, etaMs / 4)));
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000} s: scorer.scores ${last.scores} + quarantine ${last.quarantine} of ${target}`,
  );
}

async function waitForLedger(suite: RunningSuite, count: number): Promise<number> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const [row] = await suite.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ingest.transactions WHERE transaction_id LIKE $1`,
      [`gen-${THROUGHPUT_SEED}-%`],
    );
    if ((row?.n ?? 0) >= count) return performance.now();
    await sleep(50);
  }
  return Number.NaN;
}
