// Transaction ids are unique per partner, end to end through the real gateway: two partners may use one id and
// both records are scored; duplicates are judged within a partner only; no answer, quarantine reason or feed
// event a partner gets names another partner or its transactions.
import 'reflect-metadata';
import { newTransaction, waitFor } from '@vigil/testing';
import { getJson, postJson, tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

interface SubmitReply {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: { index: number; transaction_id?: string; status: string }[];
}
interface View {
  transaction_id: string;
  status: string;
  partner_id: string | null;
  amount: string | null;
  reasons: { code: string; message: string }[];
}
interface Held {
  transaction_id: string;
  partner_id: string | null;
  reasons: { code: string; message: string; expected?: string; actual?: string }[];
  record: Record<string, unknown>;
}

describe('transaction ids are unique per partner: gateway -> ingest -> validator -> scorer', () => {
  let suite: Suite;
  const token: Record<string, string> = {};
  const feed: Record<string, string[]> = { 'partner-a': [], 'partner-b': [] };
  const feeds: AbortController[] = [];

  const run = Date.now().toString(36);
  const sharedId = `tx-shared-${run}`;
  const ofA = newTransaction({ transaction_id: sharedId, amount: '111.00' });
  const ofB = newTransaction({ transaction_id: sharedId, amount: '222.00', region: 'KE', currency: 'KES' });
  // one payment's content sent by A, then by B under its own id, then by A again under a new id
  const content = newTransaction({ transaction_id: `a-content-${run}`, amount: '333.00' });
  const sameContentOfB = { ...content, transaction_id: `b-content-${run}` };
  const sameContentOfAAgain = { ...content, transaction_id: `a-content-again-${run}` };
  // an id both use for a record the validator holds for B only
  const heldId = `tx-held-${run}`;
  const heldOfB = newTransaction({ transaction_id: heldId, region: 'NG', currency: 'KES' });
  const validOfA = newTransaction({ transaction_id: heldId });

  const submit = (user: string, records: object[]) =>
    postJson<SubmitReply>(`${suite.gatewayUrl}/v1/transactions`, records, {
      authorization: `Bearer ${token[user]}`,
    });
  const view = (user: string, id: string) =>
    getJson<View>(`${suite.gatewayUrl}/v1/transactions/${encodeURIComponent(id)}`, token[user]!);
  const scored = (user: string, id: string) =>
    waitFor(
      () => view(user, id),
      (r) => r.body.status === 'scored',
      { what: `${user}'s ${id} scored` },
    );

  /** Reads a partner's live feed into `feed[user]`, one entry per event (its id line and data). */
  async function follow(user: string): Promise<void> {
    const abort = new AbortController();
    feeds.push(abort);
    const response = await fetch(`${suite.gatewayUrl}/v1/feed?access_token=${token[user]}`, {
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const connected = new Promise<void>((resolve) => {
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buffer += decoder.decode(value, { stream: true });
            if (buffer.includes(': connected')) resolve();
            const events = buffer.split('\n\n');
            buffer = events.pop()!;
            for (const event of events) if (event.startsWith('event: ')) feed[user]!.push(event);
          }
        } catch {
          // aborted at the end of the test
        }
      })();
    });
    await connected;
  }

  beforeAll(async () => {
    suite = await Suite.start();
    for (const user of ['partner-a', 'partner-b', 'analyst'])
      token[user] = await tokenFor(suite.gatewayUrl, user);
    await follow('partner-a');
    await follow('partner-b');
  });
  afterAll(async () => {
    for (const abort of feeds) abort.abort();
    await suite?.stop();
  });

  it('accepts an id another partner already used, and scores both records', async () => {
    const first = await submit('partner-a', [ofA]);
    expect(first.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
      results: [{ index: 0, transaction_id: sharedId, status: 'accepted' }],
    });
    const second = await submit('partner-b', [ofB]);
    expect(second.status).toBe(202);
    expect(second.body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
      results: [{ index: 0, transaction_id: sharedId, status: 'accepted' }],
    });

    // each partner reads back its own record by its own id
    const a = await scored('partner-a', sharedId);
    const b = await scored('partner-b', sharedId);
    expect(a.body).toMatchObject({ transaction_id: sharedId, partner_id: 'partner-a', amount: '111.00' });
    expect(b.body).toMatchObject({ transaction_id: sharedId, partner_id: 'partner-b', amount: '222.00' });

    // two transactions, one score each, under keys scoped to their partners
    const rows = await suite.db.query<{ transaction_id: string; partner_id: string }>(
      `SELECT transaction_id, partner_id FROM scorer.scores WHERE partner_id IS NOT NULL AND transaction_id LIKE $1
        ORDER BY transaction_id`,
      [`%~${sharedId}`],
    );
    expect(rows).toEqual([
      { transaction_id: `partner-a~${sharedId}`, partner_id: 'partner-a' },
      { transaction_id: `partner-b~${sharedId}`, partner_id: 'partner-b' },
    ]);
  });

  it('still treats the same id from the same partner as a duplicate', async () => {
    const again = await submit('partner-a', [ofA]);
    expect(again.body).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
      results: [{ index: 0, transaction_id: sharedId, status: 'duplicate' }],
    });
    // a changed body under a used id is still the same transaction for that partner
    const changed = await submit('partner-b', [{ ...ofB, amount: '999.00' }]);
    expect(changed.body.duplicates).toBe(1);
    expect((await view('partner-b', sharedId)).body.amount).toBe('222.00');
  });

  it("judges content duplicates within a partner, never against another partner's payment", async () => {
    expect((await submit('partner-a', [content])).body.accepted).toBe(1);
    await scored('partner-a', content.transaction_id);
    expect((await submit('partner-b', [sameContentOfB])).body.accepted).toBe(1);
    const b = await scored('partner-b', sameContentOfB.transaction_id);
    expect(b.body.reasons.map((r) => r.code)).not.toContain('duplicate.content');
    // the scorer keeps each partner's history of the same account name apart
    const histories = await suite.db.query<{ account: string }>(
      `SELECT account FROM scorer.account_state WHERE account LIKE $1 ORDER BY account`,
      [`%~${content.origin.account}`],
    );
    expect(histories.map((h) => h.account)).toEqual([
      `partner-a~${content.origin.account}`,
      `partner-b~${content.origin.account}`,
    ]);

    expect((await submit('partner-a', [sameContentOfAAgain])).body.accepted).toBe(1);
    const held = await waitFor(
      () => view('partner-a', sameContentOfAAgain.transaction_id),
      (r) => r.body.status === 'quarantined',
      { what: "partner-a's repeated payment held" },
    );
    const reason = held.body.reasons.find((r) => r.code === 'duplicate.content');
    // the reason names the partner's own first transaction by the id it sent
    expect(reason?.message).toContain(content.transaction_id);
    expect(reason?.message).not.toContain('~');
  });

  it('holds and replays a partner record by its own id, leaving the other partner’s record alone', async () => {
    expect((await submit('partner-a', [validOfA])).body.accepted).toBe(1);
    expect((await submit('partner-b', [heldOfB])).body.accepted).toBe(1);
    await scored('partner-a', heldId);
    const list = await waitFor(
      () => getJson<{ items: Held[] }>(`${suite.gatewayUrl}/v1/quarantine`, token['partner-b']!),
      (r) => r.body.items.some((i) => i.transaction_id === heldId),
      { what: "partner-b's record held" },
    );
    const held = list.body.items.find((i) => i.transaction_id === heldId)!;
    expect(held).toMatchObject({ partner_id: 'partner-b', record: { transaction_id: heldId } });
    expect(held.reasons.map((r) => r.code)).toEqual(['region.currency']);

    // partner-a has no record of its own held under that id
    const refused = await postJson<{ results: { transaction_id: string; status: string }[] }>(
      `${suite.gatewayUrl}/v1/quarantine/replay`,
      { items: [{ transaction_id: heldId }] },
      { authorization: `Bearer ${token['partner-a']}` },
    );
    expect(refused.body.results).toEqual([{ transaction_id: heldId, status: 'not_found' }]);

    const replayed = await postJson<{ replayed: number; results: object[] }>(
      `${suite.gatewayUrl}/v1/quarantine/replay`,
      { items: [{ transaction_id: heldId, record: { ...heldOfB, currency: 'NGN' } }] },
      { authorization: `Bearer ${token['partner-b']}` },
    );
    expect(replayed.body).toEqual({
      replayed: 1,
      refused: 0,
      results: [{ transaction_id: heldId, status: 'replayed', attempt: 1 }],
    });
    const fixed = await scored('partner-b', heldId);
    expect(fixed.body).toMatchObject({ transaction_id: heldId, partner_id: 'partner-b' });
    expect((await view('partner-a', heldId)).body).toMatchObject({
      status: 'scored',
      partner_id: 'partner-a',
    });
  });

  it('names no other partner in any answer, quarantine reason or feed event a partner gets', async () => {
    for (const [user, other] of [
      ['partner-a', 'partner-b'],
      ['partner-b', 'partner-a'],
    ] as const) {
      const answers = [
        await getJson(`${suite.gatewayUrl}/v1/transactions?limit=500`, token[user]!),
        await getJson(`${suite.gatewayUrl}/v1/quarantine`, token[user]!),
        await view(user, sharedId),
        await view(user, heldId),
      ];
      const exported = await fetch(`${suite.gatewayUrl}/v1/transactions/export`, {
        headers: { authorization: `Bearer ${token[user]}` },
      });
      const text = JSON.stringify(answers) + (await exported.text()) + feed[user]!.join('\n');
      expect(text).not.toContain(other);
      // the partner's own ids come back as it sent them, never as pipeline keys
      expect(text).not.toContain(`${user}~`);
    }
    // each partner's feed saw its own scored records under its own ids
    const ids = (user: string) =>
      feed[user]!.filter((e) => e.startsWith('event: transaction.scored')).map(
        (e) => /^id: (.*)$/m.exec(e)![1],
      );
    expect(ids('partner-a')).toEqual(expect.arrayContaining([sharedId, heldId, content.transaction_id]));
    expect(ids('partner-b')).toEqual(
      expect.arrayContaining([sharedId, heldId, sameContentOfB.transaction_id]),
    );

    // an operator reads across partners by the pipeline key
    const analyst = await view('analyst', `partner-b~${sharedId}`);
    expect(analyst.body).toMatchObject({ transaction_id: `partner-b~${sharedId}`, partner_id: 'partner-b' });
  });
});
