// PCI DSS: a card number sent in clear appears in no NATS message, Postgres row or log line.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { postJson } from '../support/api.js';
import { newTransaction } from '@vigil/testing';
import { SERVICES, Suite } from '../support/suite.js';

const PAN = '4539578763621486';
const PAN_PATTERN = /4539[ -]?5787[ -]?6362[ -]?1486/;

describe('card numbers never leave ingest in clear', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await Suite.start({
      modes: Object.fromEntries(SERVICES.map((s) => [s, 'child-process'])),
      logLevel: 'trace',
    });
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it('is tokenised before it is published, stored or logged', async () => {
    const card = (overrides: object) =>
      newTransaction({
        type: 'CARD_PAYMENT',
        channel: 'card',
        currency: 'USD',
        region: 'US',
        card: { number: PAN, holder: 'Ada Obi' },
        merchant: { id: 'm-1', mcc: '5411' },
        ...overrides,
      });
    const records = [
      card({}),
      card({ note: `customer typed ${PAN.replace(/(\d{4})/g, '$1 ').trim()} here` }),
      { ...card({}), card: undefined, card_number: PAN },
      card({ currency: 'KES' }), // quarantined: region US does not use KES
      card({ amount: 12 }), // quarantined: amount must be a decimal string
    ];
    const reply = await postJson<{ accepted: number }>(`${suite.ingestUrl}/v1/transactions`, records);
    expect(reply.body.accepted).toBe(records.length);
    const ids = records.map((r) => r.transaction_id);
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1)`,
          [ids],
        ),
      (rows) => rows[0]!.n === ids.length,
      { what: 'every record validated' },
    );
    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = ANY($1)`,
          [ids],
        ),
      (rows) => rows[0]!.n === 3,
      { what: 'valid card records scored' },
    );

    // every message in every stream, payload and headers
    const nc = await connect({ servers: suite.nats.url });
    const jsm = await jetstreamManager(nc);
    const published: string[] = [];
    try {
      for (const stream of Object.values(Streams)) {
        const { state } = await jsm.streams.info(stream.name);
        for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
          const message = await jsm.streams.getMessage(stream.name, { seq });
          const headers = message!.header;
          published.push(
            new TextDecoder().decode(message!.data),
            [...(headers?.keys() ?? [])].map((k) => `${k}: ${headers.get(k)}`).join('\n'),
          );
        }
      }
    } finally {
      await nc.close();
    }
    for (const text of published) expect(text).not.toMatch(PAN_PATTERN);
    const messages = published.length / 2;
    expect(messages).toBeGreaterThanOrEqual(records.length * 2);

    // every row of every table the suite owns
    const tables = await suite.db.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
       WHERE table_schema IN ('ingest', 'validator', 'scorer', 'alerting', 'gateway')`,
    );
    let rows = 0;
    for (const { name } of tables) {
      for (const row of await suite.db.query<{ line: string }>(`SELECT t::text AS line FROM ${name} t`)) {
        expect(row.line).not.toMatch(PAN_PATTERN);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(records.length);

    // every log line of every service, at trace level
    const logs = suite.logs();
    expect(logs.length).toBeGreaterThan(20);
    for (const line of logs) expect(line).not.toMatch(PAN_PATTERN);

    // and the token made it through: the card can still be followed
    const [stored] = await suite.db.query<{ card: { token: string; last4: string } }>(
      `SELECT record->'card' AS card FROM ingest.transactions WHERE transaction_id = $1`,
      [ids[0]],
    );
    expect(stored!.card).toMatchObject({ token: expect.stringMatching(/^tok_[0-9a-f]{32}$/), last4: '1486' });
  });
});
