// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Faults mid-stream: each service killed with SIGKILL, NATS restarted, PostgreSQL restarted, its connections cut,
// a table locked (a stalled database), the stream full. Clients see back-pressure (503 with Retry-After, or a
// refused connection) and send again; afterwards every stage holds exactly one row per record.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { Streams } from '@vigil/contracts';
import { TestPostgresServer, waitFor } from '@vigil/testing';
import { newAccountTakeover, newTransaction, type TransactionInput } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import { SERVICES, Suite, type SuiteOptions } from '../support/suite.js';

const BATCH = 250;

describe('faults mid-stream', () => {
  let suite: Suite;
  let postgres: TestPostgresServer | undefined;

  const start = async (options: SuiteOptions = {}) => {
    suite = await Suite.start(options);
  };
  afterEach(async () => {
    await suite?.stop();
    await postgres?.dispose();
    postgres = undefined;
  });

  const count = async (sql: string) => (await suite.db.query<{ n: number }>(sql))[0]!.n;
  const scored = () => count(`SELECT count(*)::int AS n FROM scorer.scores`);

  function newRecords(total: number): TransactionInput[] {
    const records: TransactionInput[] = [];
    while (records.length < total)
      records.push(newTransaction(), ...newAccountTakeover(String(500 + records.length)));
    return records;
  }

  /** What a client saw while sending: back-pressure answers, each with its Retry-After, and refused connections. */
  interface Sent {
    backPressure: { status: number; retryAfter: string | null }[];
    refused: number;
  }

  /**
   * Sends in batches the way a client should: a 503 or 429 means "send the same batch again after Retry-After",
   * a refused connection means "again, a little later"; the transaction ids make every resend safe.
   */
  async function send(
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
  async function expectEachScoredOnce(records: TransactionInput[]): Promise<void> {
    for (const table of ['ingest.transactions', 'validator.results', 'scorer.scores']) {
      await waitFor(
        () => count(`SELECT count(*)::int AS n FROM ${table}`),
        (n) => n === records.length,
        {
          what: `one row per record in ${table}`,
          timeoutMs: 90_000,
        },
      );
    }
    const takeovers = await count(`SELECT count(*)::int AS n FROM scorer.scores WHERE score >= 0.8`);
    // Under a fault a cash-out can be redelivered ahead of its transfer and scored without that signal:
    // the count of high scores is not what this test guarantees; that alerting matches the scorer exactly is.
    expect(takeovers).toBeGreaterThan(0);
    expect(takeovers).toBeLessThanOrEqual(records.length / 3);
    await waitFor(
      () => count(`SELECT count(*)::int AS n FROM alerting.alert_events`),
      (n) => n === takeovers,
      // a message that waited out a fault may be in its last backoff (up to 30 s) when the fault ends
      { what: 'one alert event per takeover cash-out', timeoutMs: 90_000 },
    );
    // and nothing more arrives later: redeliveries collapse onto the rows already there
    await sleep(1_000);
    for (const table of ['ingest.transactions', 'validator.results', 'scorer.scores']) {
      expect(await count(`SELECT count(*)::int AS n FROM ${table}`)).toBe(records.length);
    }
    expect(await count(`SELECT count(*)::int AS n FROM alerting.alert_events`)).toBe(takeovers);
  }

  it('NATS restarted while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(records);
    await waitFor(scored, (n) => n >= 100, { what: 'scoring to start', intervalMs: 20 });
    await suite.nats.stop();
    await sleep(2_000);
    await suite.nats.restart();
    await sending;
    await expectEachScoredOnce(records);
  }, 300_000);

  it('Postgres connections cut while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(records);
    await waitFor(scored, (n) => n >= 100, { what: 'scoring to start', intervalMs: 20 });
    const [{ n: cut }] = (await suite.db.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    )) as [{ n: number }];
    expect(cut).toBeGreaterThan(0);
    await sending;
    await expectEachScoredOnce(records);
  }, 300_000);

  it('each service killed with SIGKILL in turn and started again while records flow: every record scored once', async () => {
    await start({ modes: Object.fromEntries(SERVICES.map((name) => [name, 'child-process'])) });
    const records = newRecords(3000);
    // after every second batch the next service is killed, and started again half a second later while the
    // client goes on sending (into a refused connection while the gateway or ingest is down)
    const victims = ['ingest', 'validator', 'scorer', 'alerting', 'gateway'] as const;
    const restarts: Promise<void>[] = [];
    const sending = send(records, 'gateway', async (batchIndex) => {
      const victim = batchIndex % 2 === 1 ? victims[(batchIndex - 1) / 2] : undefined;
      if (!victim) return;
      await suite.process(victim).kill();
      restarts.push(sleep(500).then(() => suite.process(victim).start()));
    });
    const sent = await sending;
    await Promise.all(restarts);
    expect(restarts).toHaveLength(victims.length);
    expect(sent.refused + sent.backPressure.length).toBeGreaterThan(0);
    await expectEachScoredOnce(records);
  }, 600_000);

  it('PostgreSQL down for 40 s (longer than eight deliveries take) and started again while records flow: every record scored once', async () => {
    postgres = await TestPostgresServer.start();
    await start({ postgres });
    const records = newRecords(1500);
    const sending = send(records);
    await waitFor(scored, (n) => n >= 100, { what: 'scoring to start', intervalMs: 20 });
    await postgres.stop();
    // past the ~32 s that eight deliveries with backoff take: a message waiting for the database is never dead-lettered
    await sleep(40_000);
    await postgres.restart();
    await sending;
    await expectEachScoredOnce(records);
    const nc = await connect({ servers: suite.nats.url });
    const deadLetters = (await (await jetstreamManager(nc)).streams.info(Streams.deadLetters.name)).state
      .messages;
    await nc.close();
    expect(deadLetters).toBe(0);
  }, 300_000);

  it('a stalled PostgreSQL (tables locked longer than the ack wait) while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(records);
    await waitFor(scored, (n) => n >= 100, { what: 'scoring to start', intervalMs: 20 });
    const locker = new pg.Client({ connectionString: suite.db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(
      'LOCK TABLE ingest.transactions, validator.results, scorer.scores, alerting.alert_events IN ACCESS EXCLUSIVE MODE',
    );
    await sleep(15_000); // past every consumer's 10 s ack wait: the messages are delivered again meanwhile
    await locker.query('ROLLBACK');
    await locker.end();
    await sending;
    await expectEachScoredOnce(records);
  }, 300_000);

  it('a full stream is back-pressure: ingest answers 503 with Retry-After, and nothing is lost once there is room', async () => {
    await start();
    const nc = await connect({ servers: suite.nats.url });
    const jsm = await jetstreamManager(nc);
    const records = newRecords(1500);
    // the operator's limit: room for the first few batches only
    const { config, state } = await jsm.streams.info(Streams.transactions.name);
    await jsm.streams.update(Streams.transactions.name, { ...config, max_bytes: state.bytes + 400_000 });
    const sending = send(records);
    await waitFor(
      async () => (await jsm.streams.info(Streams.transactions.name)).state.bytes,
      (bytes) => bytes >= state.bytes + 300_000,
      { what: 'the stream to fill up', intervalMs: 50 },
    );
    await sleep(3_000);
    await jsm.streams.update(Streams.transactions.name, { ...config, max_bytes: -1 });
    const sent = await sending;
    await nc.close();
    expect(sent.backPressure.length).toBeGreaterThan(0);
    for (const answer of sent.backPressure)
      expect(answer).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    await expectEachScoredOnce(records);
  }, 300_000);
});
