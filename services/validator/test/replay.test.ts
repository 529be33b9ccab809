// Replays seen by the validator: a fixed record is released once; a second replay, or the same replay delivered
// twice, neither releases it again nor sends it to scoring again.
import { Events, type TransactionAccepted, type TransactionValidated } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { ValidatorHarness, newTransaction } from './support.js';

let h: ValidatorHarness;
beforeAll(async () => {
  h = await ValidatorHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

const replay = (
  record: Record<string, unknown>,
  attempt: number,
  msgId = `${String(record.transaction_id)}:replay:${attempt}`,
) =>
  h.publisher.publish(
    Events.transactionAccepted,
    'NG',
    {
      transaction_id: String(record.transaction_id),
      received_at: new Date().toISOString(),
      source: 'api',
      record,
      replay: { attempt, requested_by: 'analyst' },
    } satisfies TransactionAccepted,
    { msgId },
  );

const state = async (id: string) =>
  (
    await h.query<{ status: string; replay_attempt: number | null; released: boolean; held_attempt: number }>(
      `SELECT r.status, r.replay_attempt, q.released_at IS NOT NULL AS released, q.replay_attempt AS held_attempt
         FROM validator.results r JOIN validator.quarantine q USING (transaction_id) WHERE transaction_id = $1`,
      [id],
    )
  )[0];

it('releases a fixed record once, however often it is replayed', async () => {
  const wrong = newTransaction({ region: 'NG', currency: 'KES' });
  await h.accept([wrong]);
  await waitFor(
    () => state(wrong.transaction_id),
    (s) => s?.status === 'quarantined',
    { what: 'quarantine' },
  );

  // the same fault replayed as is: held again, with its reasons
  await replay(wrong, 1);
  await waitFor(
    () => state(wrong.transaction_id),
    (s) => s?.held_attempt === 1,
    { what: 'attempt 1 handled' },
  );
  expect(await state(wrong.transaction_id)).toMatchObject({
    status: 'quarantined',
    released: false,
    replay_attempt: 1,
  });

  const fixed = { ...wrong, currency: 'NGN' };
  await replay(fixed, 2);
  await replay(fixed, 2, `${wrong.transaction_id}:replay:2:again`); // the same attempt delivered twice
  await replay(fixed, 3);
  await waitFor(
    () => state(wrong.transaction_id),
    (s) => s?.held_attempt === 3,
    { what: 'attempt 3 handled' },
  );
  expect(await state(wrong.transaction_id)).toMatchObject({
    status: 'valid',
    released: true,
    replay_attempt: 2,
  });

  // the origin partition's copy: a transfer to an account in another partition also has a destination copy
  const validated = (await h.messages<TransactionValidated>(Events.transactionValidated)).filter(
    (m) => m.data.transaction.transaction_id === wrong.transaction_id && m.subject.endsWith('.origin'),
  );
  expect(validated).toHaveLength(1);
  expect(validated[0]!.data.transaction.currency).toBe('NGN');
  const audit = await h.query<{ payload: string }>(
    `SELECT payload FROM validator.audit_log WHERE kind = 'replay' AND subject = $1 ORDER BY seq`,
    [wrong.transaction_id],
  );
  expect(
    audit
      .map((a) => JSON.parse(a.payload) as { outcome: string; attempt: number })
      .map((p) => [p.attempt, p.outcome]),
  ).toEqual([
    [1, 'requarantined'],
    [2, 'released'],
    [3, 'refused'],
  ]);
});
