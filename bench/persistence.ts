// Phase 4: persistence. The rows scorer.scores holds after the run, written again into an identical empty
// table (a) through the scorer's own code path - ScoresRepository from services/scorer/dist, i.e. libs/db
// BatchWriter (500 rows / 5 ms) and the unnest INSERT ... ON CONFLICT DO NOTHING - fed with the consumer's
// concurrency (512 saves in flight), and (b) with raw COPY ... FROM STDIN of the same rows through psql.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '@vigil/db';
import { onCleanup } from './lib/cleanup.ts';
import { CpuMeter, run } from './lib/proc.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { distribution, median, type Distribution } from './lib/stats.ts';
import { postgresPids, type BenchDatabase } from './lib/suite.ts';

import { ScorerWritePath, type TransactionScored } from './lib/scorer-write-path.ts';

const SCORER_MAX_IN_FLIGHT = 512; // Consumers.scorer.maxInFlight

export interface PersistenceResult {
  rows: number;
  trials: number;
  /** Scorer path, median of the trials. */
  servicePathRowsPerSec: number;
  /** Scorer path with every row queued at once (full 500-row batches back to back): the BatchWriter's best case. */
  unboundedRowsPerSec: number;
  /** Scorer path, last trial: commits, rows per commit, and the share of the wall time a commit was running. */
  servicePathStatements: {
    commits: number;
    meanRows: number;
    dbBusyShare: number;
    /** CPU while it ran, in cores: this process (the scorer's code building the arrays) and all Postgres processes. */
    clientCores: number;
    postgresCores: number;
    meanCommitMs: number;
  };
  /** One-row INSERT in its own transaction, 200 times: the commit (WAL flush) floor every batch pays. */
  singleRowCommitMs: { p50: number; p99: number };
  /**
   * A trickle like the latency phase's (10 rows every 10 ms): save() to committed through the BatchWriter,
   * and the same rows through the repository's own write (same statement) without the writer in between.
   */
  trickleMs: {
    batchWriter: Distribution;
    sameStatementDirect: Distribution;
    burst: number;
    intervalMs: number;
  };
  copyRowsPerSec: number;
  ratio: number;
  trialsRowsPerSec: { servicePath: number[]; unbounded: number[]; copy: number[] };
  copyMethod: string;
  method: string;
}

interface SourceRow {
  transaction_id: string;
  score: string;
  reasons: TransactionScored['reasons'];
  model_version: string;
  type: TransactionScored['transaction']['type'];
  amount: string;
  currency: TransactionScored['transaction']['currency'];
  region: TransactionScored['transaction']['region'];
  partner_id: string | null;
  origin_account: string;
  destination_account: string | null;
  occurred_at: string;
  scored_at: string;
  decision: TransactionScored['decision'];
  policy_version: number;
}

export async function measurePersistence(
  db: BenchDatabase,
  options: { trials: number; log: (m: string) => void },
): Promise<PersistenceResult> {
  // the rows the run produced move aside; scorer.scores becomes an empty twin (same columns, checks, indexes)
  await db.query(`DROP TRIGGER IF EXISTS vigil_bench_notify_scored ON scorer.scores`);
  await db.query(`ALTER TABLE scorer.scores RENAME TO scores_source`);
  await db.query(`CREATE SCHEMA bench_copy`);
  const source = await db.query<SourceRow>(
    `SELECT transaction_id, score::text, reasons, model_version, type, amount::text, currency, region, partner_id,
            origin_account, destination_account, decision, policy_version,
            to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
            to_char(scored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS scored_at
       FROM scorer.scores_source ORDER BY scored_at`,
  );
  const scored: TransactionScored[] = source.map((r) => ({
    transaction: {
      transaction_id: r.transaction_id,
      type: r.type,
      amount: r.amount,
      currency: r.currency,
      timestamp: r.occurred_at,
      region: r.region,
      ...(r.partner_id ? { partner_id: r.partner_id } : {}),
      origin: { account: r.origin_account },
      ...(r.destination_account ? { destination: { account: r.destination_account } } : {}),
    },
    score: Number(r.score),
    reasons: r.reasons,
    scored_at: r.scored_at,
    model_version: r.model_version,
    decision: r.decision,
    policy_version: r.policy_version,
  }));

  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-copy-'));
  onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const csv = join(dir, 'scores.csv');
  // COPY's own text of the same rows, so both sides write identical values
  const { stdout } = await run('psql', [
    db.url,
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    'COPY scorer.scores_source TO STDOUT WITH (FORMAT csv)',
  ]);
  writeFileSync(csv, stdout);

  const service: number[] = [];
  const unbounded: number[] = [];
  const copy: number[] = [];
  let statements: PersistenceResult['servicePathStatements'] = {
    commits: 0,
    meanRows: 0,
    dbBusyShare: 0,
    clientCores: 0,
    postgresCores: 0,
    meanCommitMs: 0,
  };
  for (let trial = 0; trial < options.trials; trial++) {
    await recreate(db, 'scorer.scores');
    const bounded = await viaScorer(db, scored, SCORER_MAX_IN_FLIGHT);
    service.push(bounded.rowsPerSec);
    statements = bounded.statements;
    await recreate(db, 'scorer.scores');
    unbounded.push((await viaScorer(db, scored, Number.POSITIVE_INFINITY)).rowsPerSec);
    await recreate(db, 'bench_copy.scores');
    copy.push(await viaCopy(db, csv, scored.length));
    options.log(
      `  trial ${trial + 1}: scorer path ${Math.round(service.at(-1)!)} rows/s, unbounded ${Math.round(unbounded.at(-1)!)} rows/s, COPY ${Math.round(copy.at(-1)!)} rows/s`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  const singleRowCommitMs = await commitProbe(db);
  const trickleMs = await trickle(db, scored);
  const servicePathRowsPerSec = median(service);
  const copyRowsPerSec = median(copy);
  return {
    rows: scored.length,
    trials: options.trials,
    servicePathRowsPerSec,
    unboundedRowsPerSec: median(unbounded),
    servicePathStatements: statements,
    singleRowCommitMs,
    trickleMs,
    copyRowsPerSec,
    ratio: servicePathRowsPerSec / copyRowsPerSec,
    trialsRowsPerSec: { servicePath: service, unbounded, copy },
    copyMethod:
      "psql: COPY bench_copy.scores FROM STDIN WITH (FORMAT csv), timed by psql's \\timing (send to result)",
    method:
      'same rows (all of scorer.scores after the run) into an empty twin table (LIKE ... INCLUDING ALL: PK, checks, partial index); ' +
      `scorer path = the partition worker's commit (scores, outbox, fenced offset) grouped by BatchWriter with ${SCORER_MAX_IN_FLIGHT} in flight (the consumer's maxInFlight), timed first save to last resolve`,
  };
}

async function recreate(db: BenchDatabase, table: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query(`CREATE TABLE ${table} (LIKE scorer.scores_source INCLUDING ALL)`);
  await db.query(`CHECKPOINT`).catch(() => undefined); // each trial starts without the last one's dirty pages
}

/** The scorer's own path; `inFlight` saves outstanding at most, like the consumer's semaphore. */
async function viaScorer(
  db: BenchDatabase,
  rows: TransactionScored[],
  inFlight: number,
): Promise<{ rowsPerSec: number; statements: PersistenceResult['servicePathStatements'] }> {
  const database = new Database({ url: db.url, service: 'vigil-bench-scorer' });
  try {
    await database.ping(); // connect before the clock starts
    const repository = await ScorerWritePath.open(database);
    // time each commit the writer makes (the partition's transaction, all its statements): is the writer waiting
    // on Postgres, or Postgres on the writer?
    const write = repository.write.bind(repository);
    let commitCount = 0;
    let commitMs = 0;
    repository.write = async (...args: Parameters<ScorerWritePath['write']>) => {
      const t0 = performance.now();
      try {
        return await write(...args);
      } finally {
        commitCount++;
        commitMs += performance.now() - t0;
      }
    };
    let next = 0;
    const cpu = new CpuMeter([
      { label: 'client', pids: () => [process.pid] },
      { label: 'postgres', pids: () => postgresPids(db) },
    ]);
    await cpu.start();
    const started = performance.now();
    const worker = async () => {
      while (next < rows.length) await repository.save(rows[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, rows.length) }, worker));
    const seconds = (performance.now() - started) / 1000;
    const usage = await cpu.stop();
    const cores = (label: string) =>
      Math.round((usage.groups.find((g) => g.label === label)?.cores ?? 0) * 100) / 100;
    const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM scorer.scores`);
    if (count?.n !== rows.length) throw new Error(`scorer path wrote ${count?.n} of ${rows.length} rows`);
    return {
      rowsPerSec: rows.length / seconds,
      statements: {
        commits: commitCount,
        meanRows: Math.round(rows.length / Math.max(1, commitCount)),
        dbBusyShare: Math.round((commitMs / 1000 / seconds) * 100) / 100,
        meanCommitMs: Math.round((commitMs / Math.max(1, commitCount)) * 100) / 100,
        clientCores: cores('client'),
        postgresCores: cores('postgres'),
      },
    };
  } finally {
    await database.close();
  }
}

async function viaCopy(db: BenchDatabase, csv: string, expected: number): Promise<number> {
  const { stdout } = await run('psql', [
    db.url,
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    '\\timing on',
    '-c',
    `\\copy bench_copy.scores FROM '${csv}' WITH (FORMAT csv)`,
  ]);
  const match = /Time:\s*([\d.]+) ms/.exec(stdout);
  if (!match) throw new Error(`psql printed no timing:\n${stdout}`);
  const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bench_copy.scores`);
  if (count?.n !== expected) throw new Error(`COPY wrote ${count?.n} of ${expected} rows`);
  return expected / (Number(match[1]) / 1000);
}

async function commitProbe(db: BenchDatabase): Promise<{ p50: number; p99: number }> {
  await db.query(`CREATE TABLE bench_copy.commit_probe (id int PRIMARY KEY)`);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await db.query(`INSERT INTO bench_copy.commit_probe VALUES ($1)`, [i]);
    times.push(performance.now() - t0);
  }
  const d = distribution(times);
  return { p50: d.p50, p99: d.p99 };
}

/** Latency of the scorer's write path at a low rate: what the BatchWriter's 5 ms timer adds to each row. */
async function trickle(
  db: BenchDatabase,
  rows: TransactionScored[],
): Promise<PersistenceResult['trickleMs']> {
  const burst = 10;
  const intervalMs = 10;
  const bursts = Math.min(200, Math.floor(rows.length / burst));
  const measure = async (
    write: (repository: ScorerWritePath, batch: TransactionScored[]) => Promise<number[]>,
  ) => {
    await recreate(db, 'scorer.scores');
    const database = new Database({ url: db.url, service: 'vigil-bench-scorer' });
    const times: number[] = [];
    try {
      await database.ping();
      const repository = await ScorerWritePath.open(database);
      for (let i = 0; i < bursts; i++) {
        const due = performance.now() + intervalMs;
        times.push(...(await write(repository, rows.slice(i * burst, (i + 1) * burst))));
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
    } finally {
      await database.close();
    }
    return distribution(times);
  };
  const batchWriter = await measure(async (repository, batch) => {
    const t0 = performance.now();
    return Promise.all(batch.map((row) => repository.save(row).then(() => performance.now() - t0)));
  });
  const sameStatementDirect = await measure(async (repository, batch) => {
    const t0 = performance.now();
    // the repository's private batch write: the statement the writer would send, without waiting for its timer
    await repository.write(batch);
    return batch.map(() => performance.now() - t0);
  });
  return { batchWriter, sameStatementDirect, burst, intervalMs };
}
