// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Faults of PostgreSQL mid-stream: its connections cut, the server down for longer than eight deliveries take,
// its tables locked longer than the ack wait (a stalled database). Nothing is dead-lettered for waiting on the
// database, and afterwards every stage holds exactly one row per record. The broker's and the services' faults are
// in faults-services.test.ts.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Streams } from '@vigil/contracts';
import { TestPostgresServer } from '@vigil/testing';
import { expectEachScoredOnce, newRecords, scoringStarted, send } from '../support/faults.js';
import { Suite, type SuiteOptions } from '../support/suite.js';

describe('faults of PostgreSQL mid-stream', () => {
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

  it('Postgres connections cut while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(suite, records);
    await scoringStarted(suite);
    const [{ n: cut }] = (await suite.db.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    )) as [{ n: number }];
    expect(cut).toBeGreaterThan(0);
    await sending;
    await expectEachScoredOnce(suite, records);
  }, 300_000);

  it('PostgreSQL down for 40 s (longer than eight deliveries take) and started again while records flow: every record scored once', async () => {
    postgres = await TestPostgresServer.start();
    await start({ postgres });
    const records = newRecords(1500);
    const sending = send(suite, records);
    await scoringStarted(suite);
    await postgres.stop();
    // past the ~32 s that eight deliveries with backoff take: a message waiting for the database is never dead-lettered
    await sleep(40_000);
    await postgres.restart();
    await sending;
    await expectEachScoredOnce(suite, records);
    const nc = await connect({ servers: suite.nats.url });
    const deadLetters = (await (await jetstreamManager(nc)).streams.info(Streams.deadLetters.name)).state
      .messages;
    await nc.close();
    expect(deadLetters).toBe(0);
  }, 300_000);

  it('a stalled PostgreSQL (tables locked longer than the ack wait) while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(suite, records);
    await scoringStarted(suite);
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
    await expectEachScoredOnce(suite, records);
  }, 300_000);
});
