// POST /v1/decisions end to end on a real NATS and PostgreSQL: a partner's transaction decided synchronously by
// the owner of its paying account's partition, then carried on through the pipeline once, stored with the very
// score the partner was given; the same answer again for the same id; the rule set's hold as a review; a record
// the door refuses as a 400 naming its field; and, with the scorer down, a 503 with Retry-After for a transaction
// that is accepted all the same and scored once the scorer is back.
import { transactionKey } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

interface Decision {
  transaction_id: string;
  status: 'scored' | 'quarantined';
  decision: 'approve' | 'review' | 'block';
  score: number | null;
  reasons: { code: string; message: string }[];
  rule_set_version: string;
  policy_version: number | null;
  model: string | null;
  duplicate: boolean;
}

interface StoredScore {
  transaction_id: string;
  score: number;
  decision: string;
  policy_version: number;
  model_version: string;
}

describe('POST /v1/decisions', () => {
  let suite: Suite;
  let token: string;

  beforeAll(async () => {
    suite = await Suite.start({ modes: { scorer: 'child-process' } });
    token = await tokenFor(suite.gatewayUrl, 'partner-a');
  });
  afterAll(async () => {
    await suite?.stop();
  });

  const decide = async (record: unknown) => {
    const response = await fetch(`${suite.gatewayUrl}/v1/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(record),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Decision };
  };
  const storedScores = (ids: string[]) =>
    suite.db.query<StoredScore>(
      `SELECT transaction_id, score::float8 AS score, decision, policy_version, model_version
         FROM scorer.scores WHERE transaction_id = ANY($1)`,
      [ids.map((id) => transactionKey('partner-a', id))],
    );
  const scoredOnce = async (ids: string[]) =>
    waitFor(
      () => storedScores(ids),
      (rows) => rows.length === ids.length,
      { what: `${ids.length} transactions scored by the stream` },
    );

  it('decides now, and the stream stores that decision as the transaction score, once', async () => {
    // shared accounts, so the decisions read state the stream is updating at the same moment
    // (distinct amounts: the same content again within the rule set's window would be quarantined as a duplicate)
    const records = Array.from({ length: 40 }, (_, i) => {
      const record = newTransaction({
        amount: `${100 + i}.25`,
        destination: { account: `M-decided-${i % 3}` },
      });
      return { ...record, origin: { ...record.origin, account: `C-decided-${i % 4}` } };
    });
    // as a client does: a 503 (no decision within the deadline, e.g. the first burst on a busy machine) is asked
    // again after its Retry-After, and then answers with the decision taken for the transaction
    const decideAsAClient = async (record: unknown) => {
      for (let attempt = 1; ; attempt++) {
        const answer = await decide(record);
        if (answer.status !== 503 || attempt === 5) return answer;
        await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after')) * 1000));
      }
    };
    const answers = await Promise.all(records.map((record) => decideAsAClient(record)));

    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'scored' });
      expect(answer.body.score).toBeGreaterThanOrEqual(0);
      expect(['approve', 'review', 'block']).toContain(answer.body.decision);
      expect(answer.body.model).toEqual(expect.any(String));
    }
    const ids = records.map((r) => r.transaction_id);
    const stored = new Map((await scoredOnce(ids)).map((row) => [row.transaction_id, row]));
    answers.forEach((answer, i) => {
      const row = stored.get(transactionKey('partner-a', ids[i]!))!;
      expect({
        score: row.score,
        decision: row.decision,
        policy: row.policy_version,
        model: row.model_version,
      }).toEqual({
        score: answer.body.score,
        decision: answer.body.decision,
        policy: answer.body.policy_version,
        model: answer.body.model,
      });
    });
    // every decision was taken up by the commit that stored its score
    const held = await suite.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM scorer.decisions`);
    expect(held[0]!.n).toBe(0);
  });

  it('answers the same decision for an id sent again, and stores nothing twice', async () => {
    const record = newTransaction();
    const first = await decide(record);
    await scoredOnce([record.transaction_id]);
    const again = await decide({ ...record, amount: '1.00' });

    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      duplicate: true,
      score: first.body.score,
      decision: first.body.decision,
    });
    const rows = await suite.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = $1`,
      [transactionKey('partner-a', record.transaction_id)],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('answers review for a record the rule set holds back, with the rules it failed', async () => {
    const answer = await decide(newTransaction({ region: 'NG', currency: 'KES' }));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'quarantined',
      decision: 'review',
      score: null,
      model: null,
    });
    expect(answer.body.reasons.length).toBeGreaterThan(0);
    expect(answer.body.rule_set_version).not.toBe('');
  });

  it('refuses a record no stage could carry with a 400 naming the field, and a batch with a 400', async () => {
    const broken = await decide({ ...newTransaction(), merchant: { name: 'a\u0000b' } });
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body)).toContain('/merchant/name');

    const batch = await decide([newTransaction(), newTransaction()]);
    expect(batch.status).toBe(400);
  });

  it('with no scorer, answers 503 with Retry-After, accepts the transaction, and decides it once the scorer is back', async () => {
    await suite.process('scorer').stop();
    const record = newTransaction();
    const started = performance.now();
    const answer = await decide(record);

    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(2_500);
    await waitFor(
      () =>
        suite.db.query(`SELECT 1 FROM ingest.transactions WHERE transaction_id = $1`, [
          transactionKey('partner-a', record.transaction_id),
        ]),
      (rows) => rows.length === 1,
      { what: 'the undecided transaction to be stored by ingest' },
    );

    await suite.startService('scorer');
    const [stored] = await scoredOnce([record.transaction_id]);
    const retried = await waitFor(
      () => decide(record),
      (reply) => reply.status === 200,
      { what: 'a decision for the retried request' },
    );
    expect(retried.body).toMatchObject({ duplicate: true, score: stored!.score, decision: stored!.decision });
  });
});
