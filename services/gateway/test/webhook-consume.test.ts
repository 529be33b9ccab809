// The webhook worker's consumer goes through the message boundary: a scored event it can never queue is
// dead-lettered with its reason (not terminated silently), and the valid events around it are queued.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  Consumers,
  Events,
  Headers,
  Streams,
  deadLetterSubject,
  type TransactionScored,
} from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, newTransaction, waitFor } from '@vigil/testing';
import { startGateway } from '../src/app.js';
import { startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let nc: NatsConnection;
let gateway: RunningService;

const PARTNER = 'partner-webhooks';

function scoredEvent(): TransactionScored {
  return {
    transaction: newTransaction({ partner_id: PARTNER }) as TransactionScored['transaction'],
    score: 0.4,
    reasons: [],
    scored_at: new Date().toISOString(),
    model_version: 'gbdt-test',
    decision: 'approve',
    policy_version: 1,
  };
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  nc = await connect({ servers: nats.url });
  await db.query(
    `INSERT INTO gateway.webhooks (partner_id, url, events, secret_sealed, created_by)
     SELECT $1, 'http://127.0.0.1:9/hook', ARRAY['transaction.scored'], 'sealed', 'test'`,
    [PARTNER],
  );
});
afterAll(async () => {
  await nc?.close();
  await gateway?.close();
  await db?.drop();
  await nats?.stop();
});

it('dead-letters a scored event that breaks its schema or holds a NUL, and queues the valid ones around it', async () => {
  const js = jetstream(nc);
  const subject = Events.transactionScored.subject('NG');
  const before = scoredEvent();
  const after = scoredEvent();
  const broken = { ...scoredEvent(), score: 'high' };
  const withNul = scoredEvent();
  withNul.transaction.origin = { ...withNul.transaction.origin, name: 'Ada\u0000' };
  for (const [id, payload] of [
    ['before', before],
    ['broken', broken],
    ['nul', withNul],
    ['after', after],
  ] as const)
    await js.publish(subject, JSON.stringify(payload), { msgID: `webhook-consume-${id}` });

  const queued = () =>
    db
      .query<{ event_id: string }>(`SELECT event_id FROM gateway.webhook_deliveries ORDER BY event_id`)
      .then((rows) => rows.map((r) => r.event_id).sort());
  await waitFor(queued, (ids) => ids.length === 2, { what: 'the two valid events queued' });
  expect(await queued()).toEqual(
    [before.transaction.transaction_id, after.transaction.transaction_id].sort(),
  );

  const jsm = await jetstreamManager(nc);
  const letters = await waitFor(
    async () => {
      const info = await jsm.streams.info(Streams.deadLetters.name);
      const found = [];
      for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const stored = await jsm.streams.getMessage(Streams.deadLetters.name, { seq });
        if (stored)
          found.push({ subject: stored.subject, reason: stored.header?.get(Headers.deadLetterReason) ?? '' });
      }
      return found;
    },
    (found) => found.length >= 2,
    { what: 'two dead letters' },
  );
  const expectedSubject = deadLetterSubject(Consumers.gatewayWebhooks.durable);
  expect(letters.map((l) => l.subject)).toEqual([expectedSubject, expectedSubject]);
  expect(letters.map((l) => l.reason).sort()).toEqual([
    expect.stringMatching(/^payload does not match transaction\.scored: /),
    'payload holds text that cannot be stored: a NUL character at $.transaction.origin.name',
  ]);
  // settled: nothing of the four waits for redelivery
  await waitFor(
    async () =>
      (await jsm.consumers.info(Streams.transactions.name, Consumers.gatewayWebhooks.durable))
        .num_ack_pending,
    (pending) => pending === 0,
    { what: 'no message pending' },
  );
});
