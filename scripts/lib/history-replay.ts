// Replays a labelled history through the running suite as it happened: day by day in event time, each day's
// transactions submitted and scored before the next day's, and each fraud's label given `labelDelayMs` after its
// transaction (a chargeback's delay), with that time as its `labelled_at`. So the risk features the scorer stores
// use only the labels known at each transaction's time, and `model train --from-db` can learn from the history.
import pg from 'pg';

/** A record as the generators write it: the transaction and its `labels.is_fraud`. */
export interface HistoryRecord {
  transaction_id: string;
  timestamp: string;
  labels?: { is_fraud?: boolean };
}

export interface HistoryReplayOptions {
  gatewayUrl: string;
  /** A bearer token with transactions:submit and labels:write (an operator's: records without a partner). */
  token: string;
  databaseUrl: string;
  labelDelayMs: number;
  batchSize?: number;
  /** How long a wait may go without progress (a day being scored, labels being stored) before it fails. */
  stallTimeoutMs?: number;
  /** Resume: submit only the days from this one on (ms, a UTC midnight); earlier days' labels were given. */
  fromMs?: number;
  onProgress?: (message: string) => void;
}

export interface HistoryReplayResult {
  days: number;
  submitted: number;
  scored: number;
  quarantined: number;
  labelled: number;
}

const DAY_MS = 86_400_000;

export async function replayHistory(
  records: readonly HistoryRecord[],
  options: HistoryReplayOptions,
): Promise<HistoryReplayResult> {
  const progress = options.onProgress ?? (() => undefined);
  const batchSize = options.batchSize ?? 1000;
  const byDay = new Map<number, HistoryRecord[]>();
  let previous = -Infinity;
  for (const record of records) {
    const at = Date.parse(record.timestamp);
    if (!Number.isFinite(at)) throw new Error(`${record.transaction_id}: timestamp is not a time`);
    if (at < previous)
      throw new Error(`${record.transaction_id} is earlier than the record before: sort by time`);
    previous = at;
    const day = Math.floor(at / DAY_MS);
    const list = byDay.get(day) ?? [];
    list.push(record);
    byDay.set(day, list);
  }
  // frauds in event order, each labelled once its delay has passed
  const frauds = records
    .filter((r) => r.labels?.is_fraud === true)
    .map((r) => ({ id: r.transaction_id, knownAt: Date.parse(r.timestamp) + options.labelDelayMs }));
  let nextFraud = 0;
  const fromMs = options.fromMs ?? -Infinity;
  // a resumed replay: the labels due before its first day were given by the run it resumes
  while (nextFraud < frauds.length && frauds[nextFraud]!.knownAt < fromMs) nextFraud++;
  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  const result: HistoryReplayResult = { days: 0, submitted: 0, scored: 0, quarantined: 0, labelled: 0 };
  try {
    for (const [day, dayRecords] of [...byDay.entries()].sort(([a], [b]) => a - b)) {
      if (day * DAY_MS < fromMs) continue;
      const dayEnd = (day + 1) * DAY_MS;
      // labels that became known during this day are in the scorer before the day's first payment is scored
      const due: { id: string; knownAt: number }[] = [];
      while (nextFraud < frauds.length && frauds[nextFraud]!.knownAt < dayEnd) due.push(frauds[nextFraud++]!);
      if (due.length > 0) {
        await giveLabels(due, options, batchSize);
        await waitForCount(
          db,
          'SELECT count(*)::int AS n FROM scorer.labels WHERE transaction_id = ANY($1)',
          due.map((d) => d.id),
          due.length,
          options.stallTimeoutMs ?? 120_000,
          `${due.length} labels stored`,
        );
        result.labelled += due.length;
      }
      const accepted = await submit(dayRecords, options, batchSize);
      const ids = dayRecords.map((r) => r.transaction_id);
      // a record is settled when scored or quarantined
      await waitForCount(
        db,
        `SELECT (SELECT count(*) FROM scorer.scores WHERE transaction_id = ANY($1))
              + (SELECT count(DISTINCT transaction_id) FROM validator.quarantine WHERE transaction_id = ANY($1)) AS n`,
        ids,
        accepted,
        options.stallTimeoutMs ?? 120_000,
        `day ${new Date(day * DAY_MS).toISOString().slice(0, 10)} scored`,
      );
      const [counts] = (
        await db.query<{ scored: number; quarantined: number }>(
          `SELECT (SELECT count(*)::int FROM scorer.scores WHERE transaction_id = ANY($1)) AS scored,
                  (SELECT count(DISTINCT transaction_id)::int FROM validator.quarantine WHERE transaction_id = ANY($1))
                    AS quarantined`,
          [ids],
        )
      ).rows;
      result.days++;
      result.submitted += accepted;
      result.scored += counts!.scored;
      result.quarantined += counts!.quarantined;
      progress(
        `${new Date(day * DAY_MS).toISOString().slice(0, 10)}: ${accepted} submitted, ${counts!.scored} scored, ` +
          `${due.length} labels given (${result.submitted.toLocaleString('en-US')} records, ${result.labelled} labels so far)`,
      );
    }
    // the labels that came after the last day, as they would have: up to now, not beyond
    const late: { id: string; knownAt: number }[] = [];
    while (nextFraud < frauds.length && frauds[nextFraud]!.knownAt <= Date.now())
      late.push(frauds[nextFraud++]!);
    if (late.length > 0) {
      await giveLabels(late, options, batchSize);
      await waitForCount(
        db,
        'SELECT count(*)::int AS n FROM scorer.labels WHERE transaction_id = ANY($1)',
        late.map((d) => d.id),
        late.length,
        options.stallTimeoutMs ?? 120_000,
        `${late.length} labels stored`,
      );
      result.labelled += late.length;
      progress(`${late.length} labels given after the last day`);
    }
  } finally {
    await db.end();
  }
  return result;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    // back-pressure (a full stream, a rate limit) is waited out, as the API asks
    if ((response.status === 503 || response.status === 429) && attempt < 60) {
      const seconds = Number(response.headers.get('retry-after')) || 1;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }
}

/**
 * Submits records in batches, one after the other: the stream then holds them in event order, as they happened,
 * and each account's history builds up in that order. The number accepted; a refused batch throws.
 */
async function submit(
  records: readonly HistoryRecord[],
  options: HistoryReplayOptions,
  size: number,
): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < records.length; i += size) {
    const reply = await post(
      `${options.gatewayUrl}/v1/transactions`,
      options.token,
      records.slice(i, i + size),
    );
    if (reply.status !== 202) {
      throw new Error(`a batch was refused: ${reply.status} ${JSON.stringify(reply.body).slice(0, 500)}`);
    }
    const results = (reply.body as { results?: { status: string }[] }).results ?? [];
    accepted += results.filter((r) => r.status === 'accepted').length;
  }
  return accepted;
}

async function giveLabels(
  due: readonly { id: string; knownAt: number }[],
  options: HistoryReplayOptions,
  size: number,
): Promise<void> {
  for (let i = 0; i < due.length; i += size) {
    const items = due.slice(i, i + size).map((d) => ({
      transaction_id: d.id,
      label: 'fraud',
      source: 'chargeback',
      labelled_at: new Date(d.knownAt).toISOString(),
    }));
    const reply = await post(`${options.gatewayUrl}/v1/labels`, options.token, { items });
    const body = reply.body as { rejected?: number; results?: { status: string; reasons?: unknown }[] };
    if (reply.status !== 202 || (body.rejected ?? 0) > 0) {
      const refused = body.results?.find((r) => r.status !== 'accepted');
      throw new Error(
        `labels were refused: ${reply.status} ${JSON.stringify(refused ?? body).slice(0, 500)}`,
      );
    }
  }
}

async function waitForCount(
  db: pg.Client,
  query: string,
  ids: readonly string[],
  expected: number,
  stallTimeoutMs: number,
  what: string,
): Promise<void> {
  let count = -1;
  let movedAt = Date.now();
  while (Date.now() - movedAt < stallTimeoutMs) {
    const now = Number((await db.query<{ n: number }>(query, [ids])).rows[0]!.n);
    if (now >= expected) return;
    if (now !== count) movedAt = Date.now();
    count = now;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no progress for ${stallTimeoutMs} ms waiting for ${what}: ${count} of ${expected}`);
}
