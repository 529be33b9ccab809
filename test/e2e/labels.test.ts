// Labels end to end through the real suite: a label given at the gateway reaches the scorer's store over the
// LABELS stream and shows on the transaction within seconds; a later label supersedes an earlier one, both kept;
// an analyst cannot label outside its regions, and a partner labels its own transactions only, by its own ids.
import 'reflect-metadata';
import { newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

interface LabelReply {
  accepted: number;
  rejected: number;
  results: {
    index: number;
    transaction_id: string;
    status: string;
    source?: string;
    reasons?: { code: string }[];
  }[];
}
interface View {
  transaction_id: string;
  status: string;
  label: {
    label: string;
    source: string;
    labelled_at: string;
    labelled_by: string | null;
    labelled_by_role: string;
  } | null;
}

describe('labels: gateway -> LABELS stream -> scorer.labels -> GET /v1/transactions/{id}', () => {
  let suite: Suite;
  const token: Record<string, string> = {};
  const run = Date.now().toString(36);
  const ofNg = newTransaction({ transaction_id: `lbl-ng-${run}` });
  const ofKe = newTransaction({ transaction_id: `lbl-ke-${run}`, region: 'KE', currency: 'KES' });
  const ofA = newTransaction({ transaction_id: `lbl-a-${run}`, merchant: { id: `M-${run}`, mcc: '5411' } });

  const label = (user: string, items: object[]) =>
    postJson<LabelReply>(
      `${suite.gatewayUrl}/v1/labels`,
      { items },
      { authorization: `Bearer ${token[user]}` },
    );
  const view = (user: string, id: string) =>
    getJson<View>(`${suite.gatewayUrl}/v1/transactions/${encodeURIComponent(id)}`, token[user]!);
  const labelled = (user: string, id: string, expected: (v: View['label']) => boolean, what: string) =>
    waitFor(
      () => view(user, id),
      (r) => r.status === 200 && expected(r.body.label),
      { what, timeoutMs: 5000, intervalMs: 50 },
    );

  beforeAll(async () => {
    suite = await Suite.start();
    for (const user of ['admin', 'fraud-ops', 'analyst-ng', 'partner-a', 'partner-b'])
      token[user] = await tokenFor(suite.gatewayUrl, user);
    const submit = (user: string, records: object[]) =>
      postJson(`${suite.gatewayUrl}/v1/transactions`, records, { authorization: `Bearer ${token[user]}` });
    expect((await submit('admin', [ofNg, ofKe])).status).toBe(202);
    expect((await submit('partner-a', [ofA])).status).toBe(202);
    for (const [user, id] of [
      ['admin', ofNg.transaction_id],
      ['admin', ofKe.transaction_id],
      ['partner-a', ofA.transaction_id],
    ] as const)
      await waitFor(
        () => view(user, id),
        (r) => r.body.status === 'scored',
        { what: `${id} scored` },
      );
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it('stores a fraud-ops label and shows it on the transaction; a later label supersedes it, both kept', async () => {
    const first = await label('fraud-ops', [{ transaction_id: ofNg.transaction_id, label: 'fraud' }]);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: 1, rejected: 0 });
    const shown = await labelled(
      'fraud-ops',
      ofNg.transaction_id,
      (l) => l?.label === 'fraud',
      'the fraud label',
    );
    expect(shown.body.label).toMatchObject({
      source: 'analyst',
      labelled_by: 'fraud-ops',
      labelled_by_role: 'fraud_ops',
    });

    const second = await label('fraud-ops', [
      { transaction_id: ofNg.transaction_id, label: 'legitimate', note: 'customer confirmed the payment' },
    ]);
    expect(second.body).toMatchObject({ accepted: 1 });
    await labelled('fraud-ops', ofNg.transaction_id, (l) => l?.label === 'legitimate', 'the later label');
    const history = await suite.db.query<{ label: string }>(
      'SELECT label FROM scorer.label_history WHERE transaction_id = $1 ORDER BY labelled_at',
      [ofNg.transaction_id],
    );
    expect(history.map((h) => h.label)).toEqual(['fraud', 'legitimate']);
    // the entities feature state will key on came from the stored transaction
    const [stored] = await suite.db.query<{ origin_account: string; destination_account: string }>(
      'SELECT origin_account, destination_account FROM scorer.labels WHERE transaction_id = $1',
      [ofNg.transaction_id],
    );
    expect(stored).toEqual({
      origin_account: ofNg.origin.account,
      destination_account: ofNg.destination!.account,
    });
  });

  it('rejects a KE transaction labelled by an NG analyst as not found', async () => {
    const reply = await label('analyst-ng', [{ transaction_id: ofKe.transaction_id, label: 'fraud' }]);
    expect(reply.body).toMatchObject({
      accepted: 0,
      rejected: 1,
      results: [{ status: 'rejected', reasons: [{ code: 'label.not_found' }] }],
    });
  });

  it("keeps a partner to its own transactions: another partner's is not found, its own is a chargeback", async () => {
    const foreign = await label('partner-b', [{ transaction_id: ofA.transaction_id, label: 'legitimate' }]);
    expect(foreign.body).toMatchObject({
      accepted: 0,
      results: [
        { transaction_id: ofA.transaction_id, status: 'rejected', reasons: [{ code: 'label.not_found' }] },
      ],
    });
    const own = await label('partner-a', [{ transaction_id: ofA.transaction_id, label: 'fraud' }]);
    expect(own.body).toMatchObject({
      accepted: 1,
      results: [{ transaction_id: ofA.transaction_id, status: 'accepted', source: 'chargeback' }],
    });
    const partnerView = await labelled(
      'partner-a',
      ofA.transaction_id,
      (l) => l !== null,
      "partner-a's label",
    );
    expect(partnerView.body.label).toMatchObject({
      label: 'fraud',
      source: 'chargeback',
      labelled_by: 'partner-a',
    });
    // operators read it under the pipeline key; partner-b still cannot see the transaction at all
    const operatorView = await view('fraud-ops', `partner-a~${ofA.transaction_id}`);
    expect(operatorView.body.label).toMatchObject({ label: 'fraud', source: 'chargeback' });
    expect((await view('partner-b', ofA.transaction_id)).status).toBe(404);
    const [stored] = await suite.db.query<{ merchant_id: string; partner_id: string }>(
      'SELECT merchant_id, partner_id FROM scorer.labels WHERE transaction_id = $1',
      [`partner-a~${ofA.transaction_id}`],
    );
    expect(stored).toEqual({ merchant_id: `M-${run}`, partner_id: 'partner-a' });
  });

  /** A feature of the vector stored with a transaction's score, by name. */
  const storedFeature = async (key: string, name: string): Promise<number | undefined> => {
    const [row] = await suite.db.query<{ value: number | null }>(
      `SELECT s.features[array_position(f.names, $2)] AS value
         FROM scorer.scores s JOIN scorer.feature_sets f USING (feature_set) WHERE s.transaction_id = $1`,
      [key, name],
    );
    return row?.value ?? undefined;
  };

  it("raises a merchant's risk features for its next transaction within 5 s of a fraud label", async () => {
    const terminal = `T-risk-${run}`;
    const atTerminal = (n: number) =>
      newTransaction({
        transaction_id: `lbl-t${n}-${run}`,
        destination: { account: terminal },
        merchant: { id: terminal, mcc: '5411' },
      });
    const first = atTerminal(0);
    expect(
      (
        await postJson(`${suite.gatewayUrl}/v1/transactions`, [first], {
          authorization: `Bearer ${token.admin}`,
        })
      ).status,
    ).toBe(202);
    await waitFor(
      () => view('admin', first.transaction_id),
      (r) => r.body.status === 'scored',
      { what: 'the first payment at the terminal scored' },
    );
    expect(await storedFeature(first.transaction_id, 'dest_fraud_known_30d')).toBe(0);

    const given = await label('fraud-ops', [{ transaction_id: first.transaction_id, label: 'fraud' }]);
    expect(given.body.accepted).toBe(1);
    const labelledAt = Date.now();
    // payments keep coming to the terminal; the first one submitted after the label reached the scorer sees it
    const probes: { id: string; sentAt: number }[] = [];
    let seenAt: number | undefined;
    for (let n = 1; seenAt === undefined && Date.now() - labelledAt < 5000; n++) {
      const probe = atTerminal(n);
      const sentAt = Date.now();
      await postJson(`${suite.gatewayUrl}/v1/transactions`, [probe], {
        authorization: `Bearer ${token.admin}`,
      });
      probes.push({ id: probe.transaction_id, sentAt });
      await waitFor(
        () => view('admin', probe.transaction_id),
        (r) => r.body.status === 'scored',
        { what: `${probe.transaction_id} scored`, intervalMs: 25 },
      );
      if ((await storedFeature(probe.transaction_id, 'dest_fraud_known_30d')) === 1) seenAt = sentAt;
    }
    expect(seenAt).toBeDefined();
    expect(seenAt! - labelledAt).toBeLessThan(5000);
    const last = probes[probes.length - 1]!;
    expect(await storedFeature(last.id, 'dest_log_hours_since_fraud')).toBeGreaterThanOrEqual(0);
    expect(await storedFeature(last.id, 'dest_fraud_share_30d')).toBeGreaterThan(0);
    // the payer's own history knows of it too; another terminal's does not
    expect(await storedFeature(last.id, 'dest_fraud_known_7d')).toBe(1);
    expect(await storedFeature(ofNg.transaction_id, 'dest_fraud_known_30d')).toBe(0);
  });

  it('takes a label from history with the time it became known, and refuses one from before its transaction', async () => {
    const occurredAt = Date.parse(ofKe.timestamp);
    const later = new Date(occurredAt + 1000).toISOString();
    const reply = await label('fraud-ops', [
      { transaction_id: ofKe.transaction_id, label: 'fraud', source: 'chargeback', labelled_at: later },
    ]);
    expect(reply.body).toMatchObject({ accepted: 1, results: [{ status: 'accepted' }] });
    const [stored] = await waitFor(
      () =>
        suite.db.query<{ labelled_at: Date }>(
          'SELECT labelled_at FROM scorer.labels WHERE transaction_id = $1',
          [ofKe.transaction_id],
        ),
      (rows) => rows.length > 0,
      { what: 'the label from history stored' },
    );
    expect(stored!.labelled_at.toISOString()).toBe(later);

    const early = await label('fraud-ops', [
      {
        transaction_id: ofKe.transaction_id,
        label: 'fraud',
        labelled_at: new Date(occurredAt - 60_000).toISOString(),
      },
    ]);
    expect(early.body).toMatchObject({
      accepted: 0,
      results: [{ status: 'rejected', reasons: [{ code: 'label.labelled_at' }] }],
    });
  });
});
