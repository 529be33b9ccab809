// Hostile records published straight to the transaction stream (past ingest's door) into one scoring partition,
// among valid records of several partners: each hostile record alone ends in a dead letter with its reason, every
// other record is scored, and the partition goes on scoring within 5 s, with its epoch and consumers unchanged.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  Events,
  Headers,
  SCORER_CONSUMER,
  Streams,
  deadLetterSubject,
  partitionOf,
  Consumers,
  type TransactionAccepted,
} from '@vigil/contracts';
import { newTransaction, waitFor, type TransactionInput } from '@vigil/testing';
import { Suite } from '../support/suite.js';

const PARTITION = 5;
const PARTNERS = ['partner-a', 'partner-b', 'partner-c'];

let accountSeq = 0;
/** An account id that lands in the partition under test. */
function accountIn(partition: number, prefix: string): string {
  for (;;) {
    const account = `${prefix}-${Date.now().toString(36)}-${++accountSeq}`;
    if (partitionOf(account) === partition) return account;
  }
}

/** A valid payment whose origin and destination both live in the partition under test. */
function paymentIn(partition: number, overrides: Partial<TransactionInput> = {}): TransactionInput {
  const t = newTransaction();
  return {
    ...t,
    origin: { ...t.origin, account: accountIn(partition, 'C') },
    destination: { account: accountIn(partition, 'M') },
    ...overrides,
  };
}

/** The instant one minute ago, written with a UTC offset RFC 3339 allows and PostgreSQL (±15:59 at most) does not. */
function oneMinuteAgoAt(offset: '-23:59' | '+19:30'): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
  const local = new Date(Date.now() - 60_000 + sign * minutes * 60_000);
  return `${local.toISOString().slice(0, 19)}${offset}`;
}

interface Hostile {
  name: string;
  record: TransactionInput;
  /** The consumers that dead-letter it (each that reads it), and what their reason says. */
  consumers: string[];
  reason: RegExp;
}

describe('poison pills in one partition', () => {
  let suite: Suite;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    suite = await Suite.start();
    nc = await connect({ servers: suite.nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await suite?.stop();
  });

  const scored = async (ids: string[]) =>
    (
      await suite.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = ANY($1::text[])`,
        [ids],
      )
    )[0]!.n;

  const epochOf = async (partition: number) =>
    Number(
      (
        await suite.db.query<{ epoch: string }>(`SELECT epoch FROM scorer.partitions WHERE partition = $1`, [
          partition,
        ])
      )[0]?.epoch,
    );

  const consumerCount = async () => (await jsm.streams.info(Streams.transactions.name)).state.consumer_count;

  /** Publishes as ingest would, without ingest's checks: JSON.stringify keeps NULs and lone surrogates as escapes. */
  async function publishAccepted(records: { record: TransactionInput; partner: string }[]): Promise<void> {
    const js = jetstream(nc);
    const encoder = new TextEncoder();
    const receivedAt = new Date().toISOString();
    await Promise.all(
      records.map(({ record, partner }) => {
        const accepted: TransactionAccepted = {
          transaction_id: record.transaction_id,
          received_at: receivedAt,
          source: 'api',
          partner_id: partner,
          record: { ...record, source: 'api', partner_id: partner },
        };
        return js.publish(
          Events.transactionAccepted.subject(record.region),
          encoder.encode(JSON.stringify(accepted)),
          {
            msgID: `${Events.transactionAccepted.name}:${record.transaction_id}`,
          },
        );
      }),
    );
  }

  /** The dead letters stored so far, with the transaction id each one's payload names. */
  async function deadLetters(): Promise<{ subject: string; reason: string; transactionId: string }[]> {
    const info = await jsm.streams.info(Streams.deadLetters.name);
    const letters = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(Streams.deadLetters.name, { seq }).catch(() => null);
      if (!stored) continue;
      const text = new TextDecoder().decode(stored.data);
      const id = /"transaction_id":"([^"]+)"/.exec(text)?.[1] ?? '';
      letters.push({
        subject: stored.subject,
        reason: stored.header?.get(Headers.deadLetterReason) ?? '',
        transactionId: id,
      });
    }
    return letters;
  }

  it('dead-letters each hostile record alone with its reason, scores the rest, and keeps the partition scoring', async () => {
    // warm up: the partition is claimed and scoring before the batch under test
    const warmUp = paymentIn(PARTITION);
    await publishAccepted([{ record: warmUp, partner: PARTNERS[0]! }]);
    await waitFor(
      () => scored([warmUp.transaction_id]),
      (n) => n === 1,
      { what: 'the warm-up record scored' },
    );
    const epochBefore = await epochOf(PARTITION);
    const consumersBefore = await consumerCount();

    const hostile: Hostile[] = [
      {
        name: 'NUL in a string',
        record: paymentIn(PARTITION, { merchant: { id: 'm-1', name: 'Corner\u0000Shop' } }),
        consumers: [Consumers.ingestLedger.durable, Consumers.validator.durable],
        reason: /cannot be stored: a NUL character at \$\.record\.merchant\.name/,
      },
      {
        name: 'lone surrogate in a string',
        record: paymentIn(PARTITION, { merchant: { id: 'm-2', name: 'Caf\ud800' } }),
        consumers: [Consumers.ingestLedger.durable, Consumers.validator.durable],
        reason: /cannot be stored: a lone UTF-16 surrogate at \$\.record\.merchant\.name/,
      },
      {
        name: 'lone surrogate in a key',
        record: paymentIn(PARTITION, { merchant: { id: 'm-3', ['n\udc00ame']: 'Kiosk' } }),
        consumers: [Consumers.ingestLedger.durable, Consumers.validator.durable],
        reason: /cannot be stored: a lone UTF-16 surrogate at \$\.record\.merchant key/,
      },
      {
        name: 'UTC offset -23:59',
        record: paymentIn(PARTITION, { timestamp: oneMinuteAgoAt('-23:59') }),
        consumers: [SCORER_CONSUMER],
        reason: /database refused the row: time zone displacement out of range.*SQLSTATE 22009/,
      },
      {
        // another value the validator passes (the right instant, a valid RFC 3339 offset) and Postgres refuses
        name: 'UTC offset +19:30',
        record: paymentIn(PARTITION, { timestamp: oneMinuteAgoAt('+19:30') }),
        consumers: [SCORER_CONSUMER],
        reason: /database refused the row: time zone displacement out of range.*SQLSTATE 22009/,
      },
    ];
    const valid = Array.from({ length: 45 }, () => paymentIn(PARTITION));
    // one batch: the hostile records spread among the valid ones of three partners
    const batch = valid.map((record, i) => ({ record, partner: PARTNERS[i % PARTNERS.length]! }));
    hostile.forEach((h, i) => batch.splice(5 + i * 9, 0, { record: h.record, partner: PARTNERS[i % 3]! }));
    await publishAccepted(batch);

    const validIds = valid.map((r) => r.transaction_id);
    await waitFor(
      () => scored(validIds),
      (n) => n === valid.length,
      {
        what: 'every valid record of the batch scored',
        timeoutMs: 30_000,
      },
    );
    const expected = hostile.reduce((n, h) => n + h.consumers.length, 0);
    const letters = await waitFor(deadLetters, (found) => found.length >= expected, {
      what: 'the dead letters of the hostile records',
      timeoutMs: 30_000,
    }).catch(async (error: unknown) => {
      const verdicts = await suite.db.query(
        `SELECT transaction_id, status, reasons FROM validator.results WHERE transaction_id = ANY($1::text[])`,
        [hostile.map((h) => h.record.transaction_id)],
      );
      throw new Error(`${String(error)}\nvalidator verdicts: ${JSON.stringify(verdicts)}`);
    });

    for (const h of hostile) {
      const own = letters.filter((l) => l.transactionId === h.record.transaction_id);
      expect({ name: h.name, subjects: own.map((l) => l.subject).sort() }).toEqual({
        name: h.name,
        subjects: h.consumers.map(deadLetterSubject).sort(),
      });
      for (const letter of own) expect(letter.reason).toMatch(h.reason);
    }
    // nothing else was dead-lettered, and no hostile record was scored
    expect(letters.filter((l) => !hostile.some((h) => h.record.transaction_id === l.transactionId))).toEqual(
      [],
    );
    expect(await scored(hostile.map((h) => h.record.transaction_id))).toBe(0);

    // the partition goes on: a record published now is scored within 5 s, by the same owner, same consumers
    const after = paymentIn(PARTITION);
    const publishedAt = performance.now();
    await publishAccepted([{ record: after, partner: PARTNERS[1]! }]);
    await waitFor(
      () => scored([after.transaction_id]),
      (n) => n === 1,
      {
        what: 'a record after the poison pills scored',
        timeoutMs: 5_000,
        intervalMs: 20,
      },
    );
    expect(performance.now() - publishedAt).toBeLessThan(5_000);
    expect(await epochOf(PARTITION)).toBe(epochBefore);
    expect(await consumerCount()).toBe(consumersBefore);
  });
});
