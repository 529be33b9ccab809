// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Faults of the broker and the services mid-stream: NATS restarted, each service killed with SIGKILL and started
// again, the stream full. Clients see back-pressure (503 with Retry-After, or a refused connection) and send again;
// afterwards every stage holds exactly one row per record. The database's faults are in faults-database.test.ts.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { Streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { expectEachScoredOnce, newRecords, scoringStarted, send } from '../support/faults.js';
import { SERVICES, Suite, type SuiteOptions } from '../support/suite.js';

describe('faults of NATS and the services mid-stream', () => {
  let suite: Suite;

  const start = async (options: SuiteOptions = {}) => {
    suite = await Suite.start(options);
  };
  afterEach(async () => {
    await suite?.stop();
  });

  it('NATS restarted while records flow: every record scored once', async () => {
    await start();
    const records = newRecords(1500);
    const sending = send(suite, records);
    await scoringStarted(suite);
    await suite.nats.stop();
    await sleep(2_000);
    await suite.nats.restart();
    await sending;
    await expectEachScoredOnce(suite, records);
  }, 300_000);

  it('each service killed with SIGKILL in turn and started again while records flow: every record scored once', async () => {
    await start({ modes: Object.fromEntries(SERVICES.map((name) => [name, 'child-process'])) });
    const records = newRecords(3000);
    // after every second batch the next service is killed, and started again half a second later while the
    // client goes on sending (into a refused connection while the gateway or ingest is down)
    const victims = ['ingest', 'validator', 'scorer', 'alerting', 'gateway'] as const;
    const restarts: Promise<void>[] = [];
    const sending = send(suite, records, 'gateway', async (batchIndex) => {
      const victim = batchIndex % 2 === 1 ? victims[(batchIndex - 1) / 2] : undefined;
      if (!victim) return;
      await suite.process(victim).kill();
      restarts.push(sleep(500).then(() => suite.process(victim).start()));
    });
    const sent = await sending;
    await Promise.all(restarts);
    expect(restarts).toHaveLength(victims.length);
    expect(sent.refused + sent.backPressure.length).toBeGreaterThan(0);
    await expectEachScoredOnce(suite, records);
  }, 600_000);

  it('a full stream is back-pressure: ingest answers 503 with Retry-After, and nothing is lost once there is room', async () => {
    await start();
    const nc = await connect({ servers: suite.nats.url });
    const jsm = await jetstreamManager(nc);
    const records = newRecords(1500);
    // the operator's limit: room for the first few batches only
    const { config, state } = await jsm.streams.info(Streams.transactions.name);
    await jsm.streams.update(Streams.transactions.name, { ...config, max_bytes: state.bytes + 400_000 });
    const sending = send(suite, records);
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
    await expectEachScoredOnce(suite, records);
  }, 300_000);
});
