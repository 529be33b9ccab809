// The scorer's label store against a real nats-server and Postgres: each label.recorded event is kept in the
// history with who and when, the latest by labelled_at is current whatever order labels arrive in, a label
// published or delivered again is stored once, and an event that breaks its schema is dead-lettered with the reason.
import { jetstream } from '@nats-io/jetstream';
import pg from 'pg';
import { Consumers, Events, deadLetterSubject, labelMessageId, type LabelRecorded } from '@vigil/contracts';
import { JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, freePort, waitFor } from '@vigil/testing';
import { startScorer } from '../src/app.js';
import { scorerEnv } from '../src/config.js';

const logger = createLogger('labels-test', 'silent');

interface CurrentRow {
  label: string;
  source: string;
  labelled_by: string;
  labelled_at: string;
  versions: number;
  merchant_id: string | null;
  card_token: string | null;
}

/** A label with sensible defaults: fraud-ops says fraud, now, about a card payment at a merchant. */
function newLabel(overrides: Partial<LabelRecorded> = {}): LabelRecorded {
  return {
    transaction_id: 'partner-a~tx-1',
    label: 'fraud',
    source: 'analyst',
    note: 'card reported stolen',
    labelled_by: { subject: 'fraud-ops', kind: 'user', role: 'fraud_ops' },
    labelled_at: '2026-01-08T10:00:00.000Z',
    partner_id: 'partner-a',
    region: 'NG',
    occurred_at: '2026-01-01T09:30:00.000Z',
    entities: {
      origin_account: 'C100',
      destination_account: 'M200',
      merchant_id: 'M200',
      card_token: `tok_${'a'.repeat(32)}`,
    },
    ...overrides,
  };
}

describe('label store', () => {
  let server: TestNatsServer;
  let db: TestDatabase;
  let scorer: RunningService;
  let nats: NatsClient;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    db = await TestDatabase.create();
    scorer = await startScorer(
      scorerEnv({
        NATS_URL: server.url,
        DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        METRICS_PORT: String(await freePort()),
      }),
    );
    nats = await NatsClient.connect({ url: server.url, name: 'labels-test', logger });
    publisher = new JetStreamPublisher(nats);
  }, 60_000);

  afterAll(async () => {
    await scorer?.close();
    await nats?.drain();
    await server?.dispose();
    await db?.drop();
  });

  const publish = (label: LabelRecorded, msgId = labelMessageId(label)) =>
    publisher.publish(Events.labelRecorded, label.region, label, { msgId });

  const current = async (id: string) =>
    (
      await db.query<CurrentRow>(
        `SELECT label, source, labelled_by, versions, merchant_id, card_token,
                to_char(labelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS labelled_at
           FROM scorer.labels WHERE transaction_id = $1`,
        [id],
      )
    )[0];
  const historyOf = (id: string) =>
    db.query<{ label: string; labelled_by: string; note: string | null }>(
      `SELECT label, labelled_by, note FROM scorer.label_history WHERE transaction_id = $1 ORDER BY labelled_at`,
      [id],
    );
  const waitVersions = (id: string, versions: number) =>
    waitFor(
      () => current(id),
      (row) => row?.versions === versions,
      { what: `${id} with ${versions} labels`, timeoutMs: 10_000, intervalMs: 50 },
    );

  it('stores a label with who, when and the entities it concerns', async () => {
    await publish(newLabel());
    const row = await waitVersions('partner-a~tx-1', 1);
    expect(row).toEqual({
      label: 'fraud',
      source: 'analyst',
      labelled_by: 'fraud-ops',
      labelled_at: '2026-01-08T10:00:00.000Z',
      versions: 1,
      merchant_id: 'M200',
      card_token: `tok_${'a'.repeat(32)}`,
    });
    expect(await historyOf('partner-a~tx-1')).toEqual([
      { label: 'fraud', labelled_by: 'fraud-ops', note: 'card reported stolen' },
    ]);
  });

  it('makes the later label current and keeps the earlier one in the history, in any order of arrival', async () => {
    const id = 'partner-a~tx-2';
    await publish(newLabel({ transaction_id: id, labelled_at: '2026-01-08T10:00:00.000Z' }));
    await waitVersions(id, 1);
    // a chargeback a week later says the payment was genuine after all
    await publish(
      newLabel({
        transaction_id: id,
        label: 'legitimate',
        source: 'chargeback',
        labelled_by: { subject: 'partner-a', kind: 'user', role: 'partner', partner_id: 'partner-a' },
        labelled_at: '2026-01-15T10:00:00.000Z',
      }),
    );
    expect(await waitVersions(id, 2)).toMatchObject({
      label: 'legitimate',
      source: 'chargeback',
      labelled_by: 'partner-a',
    });
    // an older label that arrives last does not supersede the later one
    await publish(
      newLabel({
        transaction_id: id,
        labelled_by: { subject: 'analyst', kind: 'user', role: 'analyst' },
        labelled_at: '2026-01-02T10:00:00.000Z',
      }),
    );
    expect(await waitVersions(id, 3)).toMatchObject({
      label: 'legitimate',
      labelled_at: '2026-01-15T10:00:00.000Z',
    });
    expect((await historyOf(id)).map((h) => [h.labelled_by, h.label])).toEqual([
      ['analyst', 'fraud'],
      ['fraud-ops', 'fraud'],
      ['partner-a', 'legitimate'],
    ]);
  });

  it('stores a second copy of a label, published past the duplicate window, once', async () => {
    const id = 'tx-3';
    const label = newLabel({ transaction_id: id });
    delete label.partner_id;
    await publish(label);
    await waitVersions(id, 1);
    // past JetStream's duplicate window a second copy is a new message: the store must still keep one label
    await publish(label, `${labelMessageId(label)}:again`);
    await publish(newLabel({ transaction_id: 'tx-3-marker' }));
    await waitVersions('tx-3-marker', 1);
    const info = await nats.jsm.consumers.info(
      Events.labelRecorded.stream.name,
      Consumers.scorerLabels.durable,
    );
    expect(info.num_pending + info.num_ack_pending).toBe(0);
    expect(await current(id)).toMatchObject({ versions: 1 });
    expect(await historyOf(id)).toHaveLength(1);
  });

  it('stores a label that JetStream delivers again, after its ack wait ran out, once', async () => {
    const id = 'tx-redelivered';
    // hold the store's lock on this transaction, so the first delivery cannot finish before the ack wait ends
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('scorer.labels'), hashtext($1::text))`, [id]);
      const before = await nats.jsm.consumers.info('LABELS', Consumers.scorerLabels.durable);
      await publish(newLabel({ transaction_id: id }));
      await waitFor(
        () => nats.jsm.consumers.info('LABELS', Consumers.scorerLabels.durable),
        (info) => info.num_redelivered > before.num_redelivered,
        { what: 'a redelivery', timeoutMs: Consumers.scorerLabels.ackWaitMs + 5_000, intervalMs: 200 },
      );
    } finally {
      await holder.end();
    }
    await waitVersions(id, 1);
    await waitFor(
      () => nats.jsm.consumers.info('LABELS', Consumers.scorerLabels.durable),
      (info) => info.num_ack_pending === 0,
      { what: 'both deliveries settled', timeoutMs: 10_000 },
    );
    expect(await historyOf(id)).toHaveLength(1);
    expect(await current(id)).toMatchObject({ versions: 1 });
  }, 30_000);

  it('dead-letters an event that breaks its schema, with the reason', async () => {
    const broken = { ...newLabel({ transaction_id: 'tx-broken' }), label: 'maybe' };
    await jetstream(nats.connection).publish(Events.labelRecorded.subject('NG'), JSON.stringify(broken), {
      msgID: 'broken-label',
    });
    const letter = await waitFor(
      async () => {
        try {
          return await nats.jsm.streams.getMessage('DEAD_LETTERS', {
            last_by_subj: deadLetterSubject(Consumers.scorerLabels.durable),
          });
        } catch {
          return undefined;
        }
      },
      (message) => message !== undefined && message !== null,
      { what: 'the dead letter', timeoutMs: 10_000 },
    );
    expect(letter!.header.get('Vigil-Dead-Letter-Reason')).toMatch(/label/);
    expect(await current('tx-broken')).toBeUndefined();
  });
});
