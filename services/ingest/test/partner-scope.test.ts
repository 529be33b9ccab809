// Ingest gives a partner's record its pipeline key, <partner_id>~<transaction_id>, in the stream, under its
// Nats-Msg-Id and in the landing table, and answers with the id the partner sent; replays must name the
// submitter's own records. Against a private nats-server and a fresh database, over the gateway's requests.
import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  Requests,
  Streams,
  type IngestReplayReply,
  type IngestReplayRequest,
  type IngestSubmitReply,
  type IngestSubmitRequest,
  type TransactionAccepted,
} from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, newTransaction, waitFor } from '@vigil/testing';
import { startIngest } from '../src/app.js';
import { ingestEnv } from '../src/config.js';

let nats: TestNatsServer;
let db: TestDatabase;
let ingest: RunningService;
let nc: NatsConnection;
let jsm: JetStreamManager;

const submit = async (request: IngestSubmitRequest) =>
  (await nc.request(Requests.ingestSubmit.subject, JSON.stringify(request), { timeout: 10_000 })).json<
    IngestSubmitReply | { error: { status: number; message: string } }
  >();
const replay = async (request: IngestReplayRequest) =>
  (await nc.request(Requests.ingestReplay.subject, JSON.stringify(request), { timeout: 10_000 })).json<
    IngestReplayReply | { error: { status: number; message: string } }
  >();

/** Every accepted message so far with its Nats-Msg-Id (the publisher puts the event name in front). */
async function published(): Promise<{ msgId: string | undefined; accepted: TransactionAccepted }[]> {
  const { first_seq, last_seq, messages } = (await jsm.streams.info(Streams.transactions.name)).state;
  const found: { msgId: string | undefined; accepted: TransactionAccepted }[] = [];
  for (let seq = first_seq; messages > 0 && seq <= last_seq; seq++) {
    const message = await jsm.streams.getMessage(Streams.transactions.name, { seq }).catch(() => null);
    if (!message?.subject.startsWith('txn.accepted.')) continue;
    found.push({
      msgId: message.header?.get('Nats-Msg-Id').replace(/^transaction\.accepted:/, ''),
      accepted: message.json<TransactionAccepted>(),
    });
  }
  return found;
}

beforeAll(async () => {
  [nats, db] = await Promise.all([TestNatsServer.start(), TestDatabase.create()]);
  ingest = await startIngest(
    ingestEnv({
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      INGEST_PORT: '0',
      INGEST_HOST: '127.0.0.1',
      TOKENIZATION_KEY: 'ingest-test-tokenization-key-0123456789',
    }),
  );
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  await ingest?.close();
  await nc?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe("a partner's transaction ids are its own", () => {
  const shared = newTransaction();
  const id = shared.transaction_id;

  it('accepts one id from two partners as two transactions, each under its pipeline key', async () => {
    for (const partner of ['partner-a', 'partner-b'])
      expect(await submit({ records: [shared], source: 'api', partner_id: partner })).toEqual({
        accepted: 1,
        duplicates: 0,
        rejected: 0,
        results: [{ index: 0, transaction_id: id, status: 'accepted' }],
      });
    // the same id from the same partner, or without a partner, is judged on its own key
    expect(await submit({ records: [shared], source: 'api', partner_id: 'partner-a' })).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    expect(await submit({ records: [shared], source: 'api' })).toMatchObject({ accepted: 1, duplicates: 0 });

    const ofThisId = (await published()).filter((m) => m.accepted.transaction_id.endsWith(id));
    expect(
      ofThisId.map((m) => [
        m.msgId,
        m.accepted.transaction_id,
        m.accepted.record.transaction_id,
        m.accepted.partner_id,
      ]),
    ).toEqual([
      [`partner-a~${id}`, `partner-a~${id}`, `partner-a~${id}`, 'partner-a'],
      [`partner-b~${id}`, `partner-b~${id}`, `partner-b~${id}`, 'partner-b'],
      [id, id, id, undefined],
    ]);
    const landed = await waitFor(
      () =>
        db.query<{ transaction_id: string; partner_id: string | null }>(
          `SELECT transaction_id, partner_id FROM ingest.transactions WHERE transaction_id LIKE $1 ORDER BY 1`,
          [`%${id}`],
        ),
      (rows) => rows.length === 3,
      { what: 'three landed rows' },
    );
    expect(landed).toEqual([
      { transaction_id: `partner-a~${id}`, partner_id: 'partner-a' },
      { transaction_id: `partner-b~${id}`, partner_id: 'partner-b' },
      { transaction_id: id, partner_id: null },
    ]);
  });

  it('refuses a key as a submitted id: a client cannot name another partner’s record', async () => {
    const reply = await submit({
      records: [{ ...shared, transaction_id: `partner-b~${id}` }],
      source: 'api',
      partner_id: 'partner-a',
    });
    expect(reply).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it("replays a partner's held record under its key, and refuses a key of another submitter", async () => {
    const key = `partner-b~${id}`;
    // as held (the record carries the key) and as corrected by the partner (its own id): both replay
    const replies = await replay({
      items: [
        {
          transaction_id: key,
          record: { ...shared, transaction_id: key },
          source: 'api',
          partner_id: 'partner-b',
        },
      ],
      requested_by: 'partner-b',
    });
    expect(replies).toEqual({ results: [{ transaction_id: key, status: 'replayed', attempt: 1 }] });
    const corrected = await replay({
      items: [{ transaction_id: key, record: { ...shared }, source: 'api', partner_id: 'partner-b' }],
      requested_by: 'partner-b',
    });
    expect(corrected).toEqual({ results: [{ transaction_id: key, status: 'replayed', attempt: 2 }] });
    const replayed = (await published()).filter((m) => m.msgId?.startsWith(`${key}:replay:`));
    expect(
      replayed.map((m) => [m.msgId, m.accepted.transaction_id, m.accepted.record.transaction_id]),
    ).toEqual([
      [`${key}:replay:1`, key, key],
      [`${key}:replay:2`, key, key],
    ]);

    const foreign = await replay({
      items: [{ transaction_id: key, record: { ...shared }, source: 'api', partner_id: 'partner-a' }],
      requested_by: 'partner-a',
    });
    expect(foreign).toEqual({
      results: [
        {
          transaction_id: key,
          status: 'rejected',
          reasons: [expect.objectContaining({ code: 'replay.transaction_id' })],
        },
      ],
    });
    const renamed = await replay({
      items: [
        {
          transaction_id: key,
          record: { ...shared, transaction_id: 'other' },
          source: 'api',
          partner_id: 'partner-b',
        },
      ],
      requested_by: 'partner-b',
    });
    expect(renamed).toEqual({
      results: [
        {
          transaction_id: key,
          status: 'rejected',
          reasons: [
            expect.objectContaining({
              message: `a corrected record keeps its transaction_id ${id}, got other`,
            }),
          ],
        },
      ],
    });
  });
});
