// PCI DSS: a card number sent in clear appears in no NATS message, Postgres row or log line.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import fc from 'fast-check';
import { Streams, luhnCheckDigit, transactionKey } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { postJson, tokenFor } from '../support/api.js';
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
    current = suite;
  });
  afterAll(async () => {
    await suite?.stop();
  });

  // card numbers generated for this run (seeded: FC_SEED=<n> replays one), hidden wherever a client could put them
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 1_000_000;
  it(`generated card numbers, hidden in every place a client can put them, appear nowhere (seed ${seed})`, async () => {
    const pans = fc.sample(panArb, { seed, numRuns: 12 });
    const written = fc.sample(fc.tuple(...pans.map((pan) => writtenArb(pan))), { seed, numRuns: 1 })[0]!;
    const [p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11] = pans.map((pan, i) => ({
      pan,
      text: written[i]!,
    }));
    const answers: string[] = [];
    const send = async (url: string, body: string, headers: Record<string, string> = {}) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      }).catch((error: unknown) => {
        throw new Error(`POST ${url.split('?')[0]}: ${String(error)}`);
      });
      const text = await response.text();
      answers.push(text);
      return { status: response.status, text };
    };
    const base = (overrides: object) =>
      newTransaction({
        type: 'CARD_PAYMENT',
        channel: 'card',
        currency: 'USD',
        region: 'US',
        merchant: { id: 'm-2', mcc: '5411' },
        ...overrides,
      });
    const accepted = [
      base({ card: { number: p0!.text, holder: 'Ada Obi' } }),
      base({ card: p1!.text }),
      base({ card: [p2!.text, { n: `x${p2!.pan}` }] }),
      { ...base({}), card_number: p3!.text },
      base({ note: `ref${p4!.pan} and ${p4!.text}_x`, nested: { deeper: [{ memo: `a${p4!.text}b` }] } }),
      base({ meta: { [`ref${p5!.text}`]: 'v', list: [{ [`${p5!.pan}_k`]: { [p5!.text]: 1 } }] } }),
      base({ merchant: { id: `m-${p6!.pan}`, name: p6!.text, mcc: '5411' } }),
      base({ raw: p7!.pan.length <= 15 ? Number(p7!.pan) : p7!.text }),
    ];
    const paysim = {
      step: 3,
      type: 'TRANSFER',
      amount: '10.00',
      nameOrig: `C${p8!.pan}`,
      oldbalanceOrg: '100.00',
      newbalanceOrig: '90.00',
      nameDest: `M${p8!.text}`,
      oldbalanceDest: '0',
      newbalanceDest: '10.00',
      isFraud: 0,
      isFlaggedFraud: 0,
    };
    const refused = [
      base({ transaction_id: `t-${p9!.text.replace(/[^0-9._-]/g, '-')}` }),
      base({ source: `shop${p10!.pan}` }),
    ];
    // through ingest's own port, JSON and NDJSON
    const direct = await send(
      `${suite.ingestUrl}/v1/transactions`,
      JSON.stringify([...accepted, paysim, ...refused]),
    );
    expect(direct.status).toBe(202);
    const reply = JSON.parse(direct.text) as {
      results: { status: string; transaction_id?: string; reasons?: { code: string }[] }[];
    };
    expect(reply.results.map((r) => r.status)).toEqual([
      ...accepted.map(() => 'accepted'),
      'accepted',
      'rejected',
      'rejected',
    ]);
    expect(reply.results.slice(-2).map((r) => r.reasons?.[0]?.code)).toEqual([
      'ingest.card_number_in_identifier',
      'ingest.card_number_in_identifier',
    ]);
    const ids = reply.results.filter((r) => r.status === 'accepted').map((r) => r.transaction_id!);
    const ndjsonRecord = base({ note: `nd ${p11!.text}` });
    const ndjson = await fetch(`${suite.ingestUrl}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: [JSON.stringify(ndjsonRecord), `not json ${p11!.pan}`, `x${p11!.pan}`].join('\n'),
    });
    answers.push(await ndjson.text());
    ids.push(ndjsonRecord.transaction_id);
    // errors that could quote what was sent
    await send(`${suite.ingestUrl}/v1/transactions`, JSON.stringify(base({})), {
      'idempotency-key': `k${p0!.pan}`,
    });
    await send(
      `${suite.ingestUrl}/v1/transactions?source=${encodeURIComponent(p1!.text)}`,
      JSON.stringify(base({})),
    );
    await send(`${suite.ingestUrl}/v1/transactions`, `x${p2!.pan}`);
    // through the gateway, as a partner
    // the child's health port answers before its HTTP port listens
    await waitFor(
      () =>
        fetch(`${suite.gatewayUrl}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      { what: 'gateway listening', timeoutMs: 60_000 },
    );
    const token = await tokenFor(suite.gatewayUrl, 'partner-a');
    const auth = { authorization: `Bearer ${token}` };
    const viaGateway = base({ card: { number: p3!.text }, note: p4!.text, [`k${p5!.pan}`]: p6!.text });
    const gatewayAnswer = await send(
      `${suite.gatewayUrl}/v1/transactions`,
      JSON.stringify([viaGateway, refused[0]]),
      auth,
    );
    expect(gatewayAnswer.status).toBe(202);
    // a partner's record is stored under its partner-scoped key
    ids.push(transactionKey('partner-a', viaGateway.transaction_id));
    await send(`${suite.gatewayUrl}/v1/transactions`, JSON.stringify(viaGateway), {
      ...auth,
      'idempotency-key': `k-${p7!.text.replace(/[^\x21-\x7e]/g, '-')}`,
    });
    await send(`${suite.gatewayUrl}/v1/transactions`, `x${p8!.pan}`, auth);
    await send(`${suite.gatewayUrl}/v1/transactions`, `{"note": "${p9!.pan}" x}`, auth);
    for (const path of [
      `/v1/transactions/${p9!.pan}`,
      `/v1/transactions/${viaGateway.transaction_id}`,
      '/v1/transactions?limit=50',
    ]) {
      const response = await fetch(`${suite.gatewayUrl}${path}`, { headers: auth });
      answers.push(await response.text());
    }

    await waitFor(
      () =>
        suite.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1)`,
          [ids],
        ),
      (rows) => rows[0]!.n === ids.length,
      { what: 'every accepted record validated', timeoutMs: 60_000 },
    );
    const patterns = pans.map(anywhere);
    const haystacks = [
      ...(await everyStreamMessage()),
      ...(await everyTableRow()),
      ...suite.logs(),
      ...answers,
    ];
    for (const text of haystacks) {
      for (const pattern of patterns) expect(text).not.toMatch(pattern);
    }
    expect(answers.length).toBeGreaterThan(10);
  }, 180_000);

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

/** A Luhn-valid number of 13 to 19 digits, any leading digit. */
const panArb = fc
  .integer({ min: 13, max: 19 })
  .chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n - 1, maxLength: n - 1 }))
  .map((digits) => digits.join(''))
  .map((payload) => payload + String(luhnCheckDigit(payload)));

/** The number written with random separators (space, -, ., _, /, mixed) between some of its digits. */
const writtenArb = (pan: string) =>
  fc
    .array(fc.option(fc.stringMatching(/^[ \-._/]{1,2}$/), { freq: 2, nil: '' }), {
      minLength: pan.length - 1,
      maxLength: pan.length - 1,
    })
    .map((gaps) => [...pan].map((digit, i) => digit + (gaps[i] ?? '')).join(''));

/** The number however it is written: any separators, or JSON-escaped ones, between its digits. */
const anywhere = (pan: string): RegExp => new RegExp([...pan].join(String.raw`(?:[\s\-._/]|\\[tn/])*`));

let current: Suite | undefined;
/** Every message in every stream, payload and headers. */
async function everyStreamMessage(): Promise<string[]> {
  const suite = current!;
  const nc = await connect({ servers: suite.nats.url });
  const jsm = await jetstreamManager(nc);
  const texts: string[] = [];
  try {
    for (const stream of Object.values(Streams)) {
      const { state } = await jsm.streams.info(stream.name);
      for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(stream.name, { seq });
        if (!message) continue;
        const headers = message.header;
        texts.push(
          new TextDecoder().decode(message.data),
          [...(headers?.keys() ?? [])].map((k) => `${k}: ${headers.get(k)}`).join('\n'),
        );
      }
    }
  } finally {
    await nc.close();
  }
  return texts;
}

/** Every row of every table the suite owns, as text. */
async function everyTableRow(): Promise<string[]> {
  const suite = current!;
  const tables = await suite.db.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_schema IN ('ingest', 'validator', 'scorer', 'alerting', 'gateway')`,
  );
  const rows: string[] = [];
  for (const { name } of tables) {
    for (const row of await suite.db.query<{ line: string }>(`SELECT t::text AS line FROM ${name} t`))
      rows.push(row.line);
  }
  return rows;
}
