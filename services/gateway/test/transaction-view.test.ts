// GET /v1/transactions/{id} as an investigation view, against a real nats-server and Postgres (rows inserted
// as the pipeline would write them): the decision, the feature vector by name when the score kept one, and
// ?history=N, the latest transactions of its payer and payee, within the transaction's partner and the
// caller's own scope; a bad or unknown parameter is a 400 naming it.
import { transactionKey } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { problemOf } from './problem.js';
import { signInAll, startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

interface StoredTransaction {
  id: string;
  partner: string | null;
  region: string;
  origin: string;
  destination?: string;
  /** Seconds after the base instant: larger is newer. */
  at: number;
  amount: string;
}

let sequence = 0;
/** A landing row as ingest writes it, with sensible defaults; ids are unique per test run. */
function newStoredTransaction(overrides: Partial<StoredTransaction> = {}): StoredTransaction {
  sequence += 1;
  return {
    id: `tv-${sequence}`,
    partner: null,
    region: 'NG',
    origin: 'C-payer',
    destination: 'M-shop',
    at: sequence,
    amount: `${10 + sequence}.00`,
    ...overrides,
  };
}

const keyOf = (t: StoredTransaction) => transactionKey(t.partner, t.id);
const receivedAt = (t: StoredTransaction) => new Date(Date.UTC(2026, 0, 1, 9, 0, t.at)).toISOString();

async function land(t: StoredTransaction): Promise<void> {
  const record = {
    transaction_id: keyOf(t),
    type: 'CARD_PAYMENT',
    amount: t.amount,
    currency: t.region === 'KE' ? 'KES' : 'NGN',
    timestamp: receivedAt(t),
    region: t.region,
    origin: { account: t.origin },
    ...(t.destination ? { destination: { account: t.destination } } : {}),
  };
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     VALUES ($1, 'api', $2, $3, $4, $5)`,
    [keyOf(t), t.partner, t.region, receivedAt(t), JSON.stringify(record)],
  );
}

/** A score as the scorer stores it; with `features`, the vector and its feature set as it writes them. */
async function score(
  t: StoredTransaction,
  riskScore: number,
  features?: { set: string; values: number[] },
): Promise<void> {
  await db.query(
    `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                                partner_id, origin_account, destination_account, occurred_at, scored_at, decision,
                                policy_version, features, feature_set)
     VALUES ($1, $2, $3, 'gbdt-test', 'CARD_PAYMENT', $4, 'NGN', $5, $6, $7, $8, $9, now(),
             CASE WHEN $2::numeric >= 0.9 THEN 'block' WHEN $2::numeric >= 0.5 THEN 'review' ELSE 'approve' END, 1,
             $10, $11)`,
    [
      keyOf(t),
      riskScore,
      JSON.stringify([{ code: 'CARD_VELOCITY', message: 'many card payments in an hour' }]),
      t.amount,
      t.region,
      t.partner,
      t.origin,
      t.destination ?? null,
      receivedAt(t),
      features?.values ?? null,
      features?.set ?? null,
    ],
  );
}

/** The validator's verdict, as it stores it. */
async function judge(t: StoredTransaction, status: 'valid' | 'quarantined'): Promise<void> {
  await db.query(
    `INSERT INTO validator.results (transaction_id, status, reasons, rule_set_version, source, partner_id, region,
                                    validated_at)
     VALUES ($1, $2, '[]', '1', 'api', $3, $4, now())`,
    [keyOf(t), status, t.partner, t.region],
  );
}

/** The current label, as the scorer stores it from label.recorded. */
async function storeLabel(t: StoredTransaction, label: 'fraud' | 'legitimate'): Promise<void> {
  await db.query(
    `INSERT INTO scorer.labels (transaction_id, label, source, labelled_at, labelled_by, labelled_by_kind,
                                labelled_by_role, partner_id, region, occurred_at, origin_account)
     VALUES ($1, $2, 'analyst', now(), 'fraud-ops', 'user', 'fraud_ops', $3, $4, $5, $6)`,
    [keyOf(t), label, t.partner, t.region, receivedAt(t), t.origin],
  );
}

const FEATURE_SET = 'card-v1';
const FEATURE_NAMES = ['amount_log', 'origin_txn_count_1h', 'destination_fraud_share_7d'];

// the viewed transaction, then its payer's and its payee's other transactions
const viewed = newStoredTransaction({ at: 100 });
const samePayer = [1, 2, 3].map(() => newStoredTransaction({ destination: 'M-elsewhere' }));
const samePayee = [1, 2].map(() => newStoredTransaction({ origin: 'C-other' }));
const payerInKenya = newStoredTransaction({ region: 'KE', destination: 'M-kenya' });
// the same account names at a partner are another partner's accounts: never in this history
const atPartner = newStoredTransaction({ partner: 'partner-a' });
const partnerViewed = newStoredTransaction({ partner: 'partner-a', at: 200 });
const olderScore = newStoredTransaction({ origin: 'C-lonely', destination: undefined });
const mismatched = newStoredTransaction({ origin: 'C-mismatch', destination: 'M-mismatch' });

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  for (const t of [
    viewed,
    ...samePayer,
    ...samePayee,
    payerInKenya,
    atPartner,
    partnerViewed,
    olderScore,
    mismatched,
  ])
    await land(t);
  await db.query(`INSERT INTO scorer.feature_sets (feature_set, names) VALUES ($1, $2), ('short-v0', $3)`, [
    FEATURE_SET,
    FEATURE_NAMES,
    ['amount_log'],
  ]);
  await score(viewed, 0.93, { set: FEATURE_SET, values: [4.5, 7, Number.NaN] });
  await score(samePayer[0]!, 0.2);
  await score(samePayer[1]!, 0.71);
  await score(olderScore, 0.1);
  await score(mismatched, 0.3, { set: 'short-v0', values: [1, 2] });
  // verdicts: on a scored transaction (scored wins), a quarantined one and a valid one not scored yet
  await judge(samePayer[1]!, 'valid');
  await judge(samePayer[2]!, 'quarantined');
  await judge(payerInKenya, 'valid');
  await storeLabel(samePayer[1]!, 'fraud');
  await storeLabel(samePayee[0]!, 'legitimate');
  await signInAll(url, ['fraud-ops', 'analyst-ng', 'partner-a', 'partner-b'], tokens);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

const view = (user: string, id: string, query: Record<string, string> = {}) =>
  request(url)
    .get(`/v1/transactions/${encodeURIComponent(id)}`)
    .query(query)
    .set(bearer(user));

const idsOf = (history: { transactions: { transaction_id: string }[] } | null) =>
  history?.transactions.map((t) => t.transaction_id);

describe('GET /v1/transactions/{id}: features', () => {
  it('names each stored feature value, a non-finite value as null', async () => {
    const res = await view('fraud-ops', viewed.id).expect(200);
    expect(res.body).toMatchObject({
      transaction_id: viewed.id,
      status: 'scored',
      score: 0.93,
      decision: 'block',
      reasons: [{ code: 'CARD_VELOCITY', message: 'many card payments in an hour', severity: 'warn' }],
      features: { amount_log: 4.5, origin_txn_count_1h: 7, destination_fraud_share_7d: null },
    });
    expect(res.body).not.toHaveProperty('history');
  });

  it('omits features for a score stored without them, and for a vector that does not match its names', async () => {
    const older = await view('fraud-ops', olderScore.id).expect(200);
    expect(older.body).toMatchObject({ status: 'scored', decision: 'approve' });
    expect(older.body).not.toHaveProperty('features');
    expect((await view('fraud-ops', mismatched.id).expect(200)).body).not.toHaveProperty('features');
    const unscored = await view('fraud-ops', samePayee[1]!.id).expect(200);
    expect(unscored.body).toMatchObject({ status: 'accepted', score: null, decision: null });
    expect(unscored.body).not.toHaveProperty('features');
  });
});

describe('GET /v1/transactions/{id}?history=N', () => {
  it("lists the payer's and the payee's other transactions, newest first, with score, decision and label", async () => {
    const res = await view('fraud-ops', viewed.id, { history: '20' }).expect(200);
    expect(res.body.history.origin.account).toBe('C-payer');
    expect(idsOf(res.body.history.origin)).toEqual(
      [payerInKenya, ...[...samePayer].reverse()].map((t) => t.id),
    );
    const history = res.body.history as { origin: { transactions: object[] } };
    expect(history.origin.transactions.slice(-2)).toEqual([
      {
        transaction_id: samePayer[1]!.id,
        status: 'scored',
        score: 0.71,
        decision: 'review',
        received_at: receivedAt(samePayer[1]!).replace('Z', '000Z'),
        amount: samePayer[1]!.amount,
        currency: 'NGN',
        type: 'CARD_PAYMENT',
        label: 'fraud',
      },
      expect.objectContaining({
        transaction_id: samePayer[0]!.id,
        score: 0.2,
        decision: 'approve',
        label: null,
      }),
    ]);
    expect(res.body.history.destination.account).toBe('M-shop');
    expect(idsOf(res.body.history.destination)).toEqual([samePayee[1]!.id, samePayee[0]!.id]);
    expect(res.body.history.destination.transactions[1]).toMatchObject({ label: 'legitimate', score: null });
  });

  it('gives each transaction of a history where it stands: scored, else its verdict, else accepted', async () => {
    const res = await view('fraud-ops', viewed.id, { history: '20' }).expect(200);
    const statusOf = (side: 'origin' | 'destination', t: StoredTransaction) =>
      (res.body.history[side].transactions as { transaction_id: string; status: string }[]).find(
        (row) => row.transaction_id === t.id,
      )?.status;
    expect(statusOf('origin', samePayer[0]!)).toBe('scored');
    expect(statusOf('origin', samePayer[1]!)).toBe('scored');
    expect(statusOf('origin', samePayer[2]!)).toBe('quarantined');
    expect(statusOf('origin', payerInKenya)).toBe('valid');
    expect(statusOf('destination', samePayee[1]!)).toBe('accepted');
  });

  it('takes the latest N of each', async () => {
    const res = await view('fraud-ops', viewed.id, { history: '2' }).expect(200);
    expect(idsOf(res.body.history.origin)).toEqual([payerInKenya.id, samePayer[2]!.id]);
    expect(idsOf(res.body.history.destination)).toHaveLength(2);
  });

  it("keeps an analyst to its regions and a partner to its own accounts, whatever the account's name", async () => {
    const ng = await view('analyst-ng', viewed.id, { history: '20' }).expect(200);
    expect(idsOf(ng.body.history.origin)).not.toContain(payerInKenya.id);
    expect(idsOf(ng.body.history.origin)).toHaveLength(samePayer.length);

    const partner = await view('partner-a', partnerViewed.id, { history: '20' }).expect(200);
    expect(partner.body.history).toEqual({
      origin: {
        account: 'C-payer',
        transactions: [expect.objectContaining({ transaction_id: atPartner.id })],
      },
      destination: {
        account: 'M-shop',
        transactions: [expect.objectContaining({ transaction_id: atPartner.id })],
      },
    });
    // and the operator's view of the same account has none of the partner's
    const operator = await view('fraud-ops', viewed.id, { history: '20' }).expect(200);
    expect(idsOf(operator.body.history.origin)).not.toContain(keyOf(atPartner));
    await view('partner-b', partnerViewed.id, { history: '20' }).expect(404);
  });

  it('answers a record without a payee with a null destination history', async () => {
    const res = await view('fraud-ops', olderScore.id, { history: '5' }).expect(200);
    expect(res.body.history).toEqual({
      origin: { account: 'C-lonely', transactions: [] },
      destination: null,
    });
  });

  it('answers 400 naming a bad or unknown parameter', async () => {
    for (const value of ['-1', '101', 'all', '2.5']) {
      const res = await view('fraud-ops', viewed.id, { history: value }).expect(400);
      expect(res.body).toEqual(problemOf(400, 'history must be an integer from 0 to 100'));
      expect(res.body.errors).toEqual([{ parameter: 'history', detail: res.body.detail }]);
    }
    const unknown = await view('fraud-ops', viewed.id, { account: 'C-payer' }).expect(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ parameter: 'account' })]);
  });

  it('is documented in OpenAPI', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body;
    const get = doc.paths['/v1/transactions/{id}'].get;
    expect(get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'history', in: 'query', required: false })]),
    );
    const viewSchema = doc.components.schemas.TransactionViewDto;
    expect(Object.keys(viewSchema.properties)).toEqual(
      expect.arrayContaining(['decision', 'features', 'history']),
    );
  });
});
