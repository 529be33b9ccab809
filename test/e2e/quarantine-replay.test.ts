// Quarantine and replay end to end: a partner's faulty records are held with their reasons, listed through the
// gateway, replayed after a fix, and every fixed record is scored exactly once, however often it is replayed.
import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Streams, transactionKey, type TransactionScored } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

interface Held {
  transaction_id: string;
  partner_id: string | null;
  reasons: { code: string; field?: string; expected?: string; actual?: string; message: string }[];
  record: Record<string, unknown>;
  replay_attempts: number;
}
interface ReplayReply {
  replayed: number;
  refused: number;
  results: { transaction_id: string; status: string; attempt?: number }[];
}

describe('quarantine, then replay after a fix: gateway -> ingest -> validator -> scorer', () => {
  let suite: Suite;
  let partner: string;
  let otherPartner: string;
  let analyst: string;

  const valid = [newTransaction(), newTransaction()];
  const wrongCurrency = newTransaction({ region: 'NG', currency: 'KES' });
  const feeTooHigh = newTransaction({
    amount: '100.00',
    fee: '150.00',
    origin: { account: 'C-fee', balance_before: '500.00', balance_after: '400.00' },
  });
  const selfTransfer = newTransaction({
    type: 'TRANSFER',
    origin: { account: 'C-same' },
    destination: { account: 'C-same' },
  });
  const faulty = [wrongCurrency, feeTooHigh, selfTransfer];
  const fixedIds = [wrongCurrency.transaction_id, feeTooHigh.transaction_id];
  // the pipeline stores partner-a's records under their keys (<partner_id>~<transaction_id>); an analyst reads
  // across partners by the key, the partner by its own id
  const keyOf = (id: string) => transactionKey('partner-a', id);

  const scoreRows = (ids: string[]) =>
    suite.db.query<{ transaction_id: string; n: number }>(
      `SELECT substr(transaction_id, strpos(transaction_id, '~') + 1) AS transaction_id, count(*)::int AS n
         FROM scorer.scores WHERE transaction_id = ANY($1) GROUP BY transaction_id`,
      [ids.map(keyOf)],
    );
  const replay = (token: string, items: object[]) =>
    postJson<ReplayReply>(
      `${suite.gatewayUrl}/v1/quarantine/replay`,
      { items },
      { authorization: `Bearer ${token}` },
    );

  async function scoredMessages(ids: string[]): Promise<Map<string, number>> {
    const nc = await connect({ servers: suite.nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(Streams.transactions.name);
      const counts = new Map<string, number>();
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(Streams.transactions.name, { seq }).catch(() => null);
        if (!msg?.subject.startsWith('txn.scored.')) continue;
        const key = msg.json<TransactionScored>().transaction.transaction_id;
        const id = ids.find((i) => keyOf(i) === key);
        if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    } finally {
      await nc.close();
    }
  }

  beforeAll(async () => {
    suite = await Suite.start();
    partner = await tokenFor(suite.gatewayUrl, 'partner-a');
    otherPartner = await tokenFor(suite.gatewayUrl, 'partner-b');
    analyst = await tokenFor(suite.gatewayUrl, 'analyst');
    const submitted = await postJson(`${suite.gatewayUrl}/v1/transactions`, [...valid, ...faulty], {
      authorization: `Bearer ${partner}`,
    });
    expect(submitted.status).toBe(202);
    await waitFor(
      () => scoreRows(valid.map((t) => t.transaction_id)),
      (rows) => rows.length === valid.length,
      {
        what: 'the valid records scored',
      },
    );
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it('lists the held records with every reason: rule id, field, expected and actual', async () => {
    const list = await waitFor(
      () => getJson<{ items: Held[] }>(`${suite.gatewayUrl}/v1/quarantine?source=api`, analyst),
      (r) => faulty.every((t) => r.body.items.some((i) => i.transaction_id === keyOf(t.transaction_id))),
      { what: 'the faulty records in quarantine' },
    );
    const held = new Map(list.body.items.map((i) => [i.transaction_id.replace('partner-a~', ''), i]));
    expect(held.get(wrongCurrency.transaction_id)!.reasons).toEqual([
      expect.objectContaining({
        code: 'region.currency',
        field: 'currency',
        expected: 'NGN, USD',
        actual: 'KES',
      }),
    ]);
    expect(held.get(feeTooHigh.transaction_id)!.reasons).toEqual([
      expect.objectContaining({
        code: 'range.fee',
        field: 'fee',
        expected: 'at most 100.00',
        actual: '150.00',
      }),
    ]);
    expect(held.get(selfTransfer.transaction_id)!.reasons).toEqual([
      expect.objectContaining({ code: 'parties.distinct', field: 'destination.account', actual: 'C-same' }),
    ]);
    expect(held.get(wrongCurrency.transaction_id)).toMatchObject({
      partner_id: 'partner-a',
      replay_attempts: 0,
    });

    const byRule = await getJson<{ items: Held[] }>(
      `${suite.gatewayUrl}/v1/quarantine?rule=range.fee`,
      partner,
    );
    expect(byRule.body.items.map((i) => i.transaction_id)).toEqual([feeTooHigh.transaction_id]);
  });

  it('keeps each partner to its own records', async () => {
    const others = await getJson<{ items: Held[] }>(`${suite.gatewayUrl}/v1/quarantine`, otherPartner);
    expect(others.status).toBe(200);
    expect(
      others.body.items.filter((i) => faulty.some((t) => t.transaction_id === i.transaction_id)),
    ).toEqual([]);
    const refused = await replay(otherPartner, [{ transaction_id: wrongCurrency.transaction_id }]);
    expect(refused).toEqual({
      status: 202,
      body: {
        replayed: 0,
        refused: 1,
        results: [{ transaction_id: wrongCurrency.transaction_id, status: 'not_found' }],
      },
    });
  });

  it('scores every fixed record exactly once, and holds the one still wrong', async () => {
    const first = await replay(partner, [
      { transaction_id: wrongCurrency.transaction_id, record: { ...wrongCurrency, currency: 'NGN' } },
      { transaction_id: feeTooHigh.transaction_id, record: { ...feeTooHigh, fee: '1.50' } },
      { transaction_id: selfTransfer.transaction_id },
    ]);
    expect(first).toEqual({
      status: 202,
      body: {
        replayed: 3,
        refused: 0,
        results: faulty.map((t) => ({ transaction_id: t.transaction_id, status: 'replayed', attempt: 1 })),
      },
    });
    await waitFor(
      () => scoreRows(fixedIds),
      (rows) => rows.length === fixedIds.length,
      { what: 'the fixed records scored' },
    );

    // replaying again: the released ones are refused, the one still wrong is judged again and held again
    const again = await replay(analyst, [
      { transaction_id: keyOf(wrongCurrency.transaction_id), record: { ...wrongCurrency, currency: 'NGN' } },
      { transaction_id: keyOf(feeTooHigh.transaction_id) },
      { transaction_id: keyOf(selfTransfer.transaction_id) },
    ]);
    expect(again.body.results).toEqual([
      { transaction_id: keyOf(wrongCurrency.transaction_id), status: 'not_quarantined' },
      { transaction_id: keyOf(feeTooHigh.transaction_id), status: 'not_quarantined' },
      { transaction_id: keyOf(selfTransfer.transaction_id), status: 'replayed', attempt: 2 },
    ]);
    await waitFor(
      () => getJson<{ items: Held[] }>(`${suite.gatewayUrl}/v1/quarantine`, analyst),
      (r) =>
        r.body.items.find((i) => i.transaction_id === keyOf(selfTransfer.transaction_id))?.replay_attempts ===
        2,
      { what: 'the second replay handled' },
    );

    // give anything duplicated time to show up, then count rows and stream messages
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      (await scoreRows([...fixedIds, selfTransfer.transaction_id])).sort((a, b) =>
        a.transaction_id.localeCompare(b.transaction_id),
      ),
    ).toEqual(
      fixedIds
        .map((id) => ({ transaction_id: id, n: 1 }))
        .sort((a, b) => a.transaction_id.localeCompare(b.transaction_id)),
    );
    const scored = await scoredMessages([...fixedIds, selfTransfer.transaction_id]);
    expect(Object.fromEntries(scored)).toEqual(Object.fromEntries(fixedIds.map((id) => [id, 1])));

    for (const id of fixedIds) {
      const view = await getJson<{ status: string; reasons: { code: string }[] }>(
        `${suite.gatewayUrl}/v1/transactions/${id}`,
        partner,
      );
      expect(view.body.status).toBe('scored');
    }
    const [stillHeld] = await suite.db.query<{ status: string }>(
      `SELECT status FROM validator.results WHERE transaction_id = $1`,
      [keyOf(selfTransfer.transaction_id)],
    );
    expect(stillHeld).toEqual({ status: 'quarantined' });
    const list = await getJson<{ items: Held[] }>(`${suite.gatewayUrl}/v1/quarantine`, partner);
    const listed = list.body.items.map((i) => i.transaction_id);
    expect(fixedIds.filter((id) => listed.includes(id))).toEqual([]);
    expect(listed).toContain(selfTransfer.transaction_id);
  });

  it('refuses a correction that changes the transaction id, naming the item', async () => {
    const refused = await replay(partner, [
      {
        transaction_id: selfTransfer.transaction_id,
        record: { ...selfTransfer, transaction_id: 'another-id' },
      },
    ]);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain(
      `items[0].record keeps its transaction_id ${selfTransfer.transaction_id}`,
    );
  });

  it('serves the data-quality windows to analysts and refuses partners', async () => {
    const dq = await getJson<{
      windows: { source: string; records: number; failures: Record<string, number> }[];
    }>(`${suite.gatewayUrl}/v1/data-quality?source=api`, analyst);
    expect(dq.status).toBe(200);
    const records = dq.body.windows.reduce((sum, w) => sum + w.records, 0);
    expect(records).toBe(valid.length + faulty.length);
    expect(dq.body.windows.some((w) => w.failures['region.currency'] === 1)).toBe(true);
    expect((await getJson(`${suite.gatewayUrl}/v1/data-quality`, partner)).status).toBe(403);
  });
});
