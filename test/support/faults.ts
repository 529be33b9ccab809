// What the fault tests (test/e2e/faults-*.test.ts) share: the records they stream, a client that sends them the way
// a client should (honouring back-pressure and retrying refused connections), and the check that every stage ends
// with exactly one row per record.
import { setTimeout as sleep } from 'node:timers/promises';
import { newAccountTakeover, newTransaction, waitFor, type TransactionInput } from '@vigil/testing';
import { tokenFor } from './api.js';
import type { Suite } from './suite.js';

/** Records per request. */
const BATCH = 250;

/** The single number a counting query answers. */
export const count = async (suite: Suite, sql: string): Promise<number> =>
  (await suite.db.query<{ n: number }>(sql))[0]!.n;
/** Transactions scored so far. */
export const scored = (suite: Suite): Promise<number> =>
  count(suite, `SELECT count(*)::int AS n FROM scorer.scores`);

/** Waits until records are being scored: the moment a fault test applies its fault. */
export async function scoringStarted(suite: Suite): Promise<void> {
  await waitFor(
    () => scored(suite),
    (n) => n >= 100,
    { what: 'scoring to start', intervalMs: 20 },
  );
}

/** Ordinary transactions mixed with account takeovers (a transfer, then its cash-out), `total` or a few more. */
export function newRecords(total: number): TransactionInput[] {
  const records: TransactionInput[] = [];
  while (records.length < total)
    records.push(newTransaction(), ...newAccountTakeover(String(500 + records.length)));
  return records;
}

/** What a client saw while sending: back-pressure answers, each with its Retry-After, and refused connections. */
export interface Sent {
  backPressure: { status: number; retryAfter: string | null }[];
  refused: number;
}

/**
 * Sends in batches the way a client should: a 503 or 429 means "send the same batch again after Retry-After",
 * a refused connection means "again, a little later"; the transaction ids make every resend safe.
 */
export async function send(
  suite: Suite,
  records: TransactionInput[],
  via: 'ingest' | 'gateway' = 'ingest',
  afterBatch?: (batchIndex: number) => Promise<void>,
): Promise<Sent> {
  const sent: Sent = { backPressure: [], refused: 0 };
  const token = via === 'gateway' ? await tokenFor(suite.gatewayUrl, 'partner-a') : undefined;
  for (let i = 0; i < records.length; i += BATCH) {
    const batch = records.slice(i, i + BATCH);
    for (;;) {
      const url = `${via === 'gateway' ? suite.gatewayUrl : suite.ingestUrl}/v1/transactions`;
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(60_000),
      }).catch(() => undefined);
      if (response?.status === 202) {
        const body = (await response.json()) as { accepted: number; duplicates: number };
        expect(body.accepted + body.duplicates).toBe(batch.length);
        await afterBatch?.(i / BATCH);
        break;
      }
      if (response === undefined) sent.refused++;
      else {
        await response.body?.cancel();
        expect([429, 503]).toContain(response.status);
        sent.backPressure.push({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
        });
      }
      await sleep(250);
    }
  }
  return sent;
}

/** Every stage converges on exactly one row per record (stages retry independently, so each is awaited). */
export async function expectEachScoredOnce(suite: Suite, records: TransactionInput[]): Promise<void> {
  for (const table of ['ingest.transactions', 'validator.results', 'scorer.scores']) {
    await waitFor(
      () => count(suite, `SELECT count(*)::int AS n FROM ${table}`),
      (n) => n === records.length,
      {
        what: `one row per record in ${table}`,
        timeoutMs: 90_000,
      },
    );
  }
  const takeovers = await count(suite, `SELECT count(*)::int AS n FROM scorer.scores WHERE score >= 0.8`);
  // Under a fault a cash-out can be redelivered ahead of its transfer and scored without that signal:
  // the count of high scores is not what this test guarantees; that alerting matches the scorer exactly is.
  expect(takeovers).toBeGreaterThan(0);
  expect(takeovers).toBeLessThanOrEqual(records.length / 3);
  await waitFor(
    () => count(suite, `SELECT count(*)::int AS n FROM alerting.alert_events`),
    (n) => n === takeovers,
    // a message that waited out a fault may be in its last backoff (up to 30 s) when the fault ends
    { what: 'one alert event per takeover cash-out', timeoutMs: 90_000 },
  );
  // and nothing more arrives later: redeliveries collapse onto the rows already there
  await sleep(1_000);
  for (const table of ['ingest.transactions', 'validator.results', 'scorer.scores']) {
    expect(await count(suite, `SELECT count(*)::int AS n FROM ${table}`)).toBe(records.length);
  }
  expect(await count(suite, `SELECT count(*)::int AS n FROM alerting.alert_events`)).toBe(takeovers);
}
