// GET /v1/transactions/export against a real nats-server and Postgres, with stored values nobody here chose:
// generated rows (any text in the fields a record carries before validation, any reason codes, every status)
// are written as the pipeline writes them, exported, read back with a CSV parser, and compared field by field
// with what was stored and with the JSON list of the same rows. A partner reads its own ids.
import { transactionKey } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer } from '@vigil/testing';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { signInAll, startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  await signInAll(url, ['admin', 'partner-a'], tokens);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

type Status = 'accepted' | 'valid' | 'quarantined' | 'scored';

interface Stored {
  id: string;
  partner: string | null;
  region: string;
  type: string;
  amount: string;
  currency: string;
  status: Status;
  /** Four decimals, as the scorer stores it; only for a scored row. */
  score: number;
  scoreReasons: string[];
  verdictReasons: string[];
}

// any text PostgreSQL can hold (no NUL), commas, quotes and line breaks made likely
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '9', ',', '"', '\n', '\r', ' ', ';', 'é', '€') }),
  fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', '')),
);
const stored = (n: number): fc.Arbitrary<Stored> =>
  fc.record({
    id: fc.constant(`x-${n}`),
    partner: fc.constantFrom(null, 'partner-a'),
    region: fc.constantFrom('NG', 'KE', 'N"G', 'K,E'),
    type: text,
    amount: text,
    currency: text,
    status: fc.constantFrom<Status>('accepted', 'valid', 'quarantined', 'scored'),
    score: fc.integer({ min: 0, max: 10_000 }).map((i) => i / 10_000),
    scoreReasons: fc.array(text, { maxLength: 3 }),
    verdictReasons: fc.array(text, { maxLength: 3 }),
  });

let window = 0;
/** Writes the rows, each in its own second of an hour no other run uses, as ingest, validator and scorer do. */
async function store(rows: Stored[]): Promise<{ from: string; to: string }> {
  window += 1;
  const base = Date.UTC(2026, 0, 1) + window * 3_600_000;
  for (const [i, row] of rows.entries()) {
    const key = transactionKey(row.partner, `${row.id}-${window}`);
    const receivedAt = new Date(base + i * 1000).toISOString();
    const record = { transaction_id: key, type: row.type, amount: row.amount, currency: row.currency };
    await db.query(
      `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
       VALUES ($1, 'api', $2, $3, $4, $5)`,
      [key, row.partner, row.region, receivedAt, JSON.stringify(record)],
    );
    if (row.status !== 'accepted')
      await db.query(
        `INSERT INTO validator.results (transaction_id, status, reasons, rule_set_version, source, partner_id,
                                        region, validated_at)
         VALUES ($1, $2, $3, '1', 'api', $4, $5, now())`,
        [
          key,
          row.status === 'quarantined' ? 'quarantined' : 'valid',
          JSON.stringify(row.verdictReasons.map((code) => ({ code, message: 'generated' }))),
          row.partner,
          row.region,
        ],
      );
    if (row.status === 'scored')
      await db.query(
        `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                                    partner_id, origin_account, occurred_at, scored_at, decision, policy_version)
         VALUES ($1, $2, $3, 'test', 'PAYMENT', 1, 'NGN', $4, $5, 'C-1', $6, now(), 'approve', 1)`,
        [
          key,
          row.score,
          JSON.stringify(row.scoreReasons.map((code) => ({ code, message: 'generated' }))),
          row.region,
          row.partner,
          receivedAt,
        ],
      );
  }
  return { from: new Date(base).toISOString(), to: new Date(base + 3_600_000).toISOString() };
}

const exported = async (user: string, window: { from: string; to: string }) => {
  const res = await request(url)
    .get('/v1/transactions/export')
    .query(window)
    .set({ Authorization: `Bearer ${tokens[user]}` })
    .buffer(true)
    .expect(200);
  return parse<Record<string, string>>(res.text, { columns: true });
};

/** What the CSV must say of a stored row: the record's own text, where the row stands, its reason codes. */
function expectedLine(row: Stored, shownId: string): Record<string, string> {
  const verdictCodes = row.status === 'accepted' ? [] : row.verdictReasons;
  return {
    transaction_id: shownId,
    status: row.status,
    score: row.status === 'scored' ? String(row.score) : '',
    region: row.region,
    partner_id: row.partner ?? '',
    amount: row.amount,
    currency: row.currency,
    type: row.type,
    reason_codes: [...(row.status === 'scored' ? row.scoreReasons : []), ...verdictCodes].join(' '),
  };
}

describe('GET /v1/transactions/export, for any stored values', () => {
  it('writes each row as a CSV line a CSV parser reads back as stored, in the order of the JSON list', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stored(i)))),
        async (rows) => {
          const window = await store(rows);
          const lines = await exported('admin', window);
          // newest first, as the list: the stored rows in reverse
          const newestFirst = [...rows].reverse();
          expect(lines.map(({ received_at: _, ...line }) => line)).toEqual(
            newestFirst.map((row) =>
              expectedLine(row, transactionKey(row.partner, `${row.id}-${windowOf(window)}`)),
            ),
          );
          const list = await request(url)
            .get('/v1/transactions')
            .query({ ...window, limit: 100 })
            .set({ Authorization: `Bearer ${tokens.admin}` })
            .expect(200);
          const items = list.body.items as {
            transaction_id: string;
            status: string;
            score: number | null;
            received_at: string;
            reasons: { code: string }[];
          }[];
          expect(lines.map((line) => [line.transaction_id, line.status, line.received_at])).toEqual(
            items.map((item) => [item.transaction_id, item.status, item.received_at]),
          );
          expect(lines.map((line) => line.reason_codes)).toEqual(
            items.map((item) => item.reasons.map((reason) => reason.code).join(' ')),
          );
          expect(lines.map((line) => line.score)).toEqual(
            items.map((item) => (item.score === null ? '' : String(item.score))),
          );

          // a partner exports its own rows under the ids it submitted them with
          const own = await exported('partner-a', window);
          expect(own.map(({ received_at: _, ...line }) => line)).toEqual(
            newestFirst
              .filter((row) => row.partner === 'partner-a')
              .map((row) => expectedLine(row, `${row.id}-${windowOf(window)}`)),
          );
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});

const windowOf = ({ from }: { from: string }) => (Date.parse(from) - Date.UTC(2026, 0, 1)) / 3_600_000;
