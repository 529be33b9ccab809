// One passing and one failing record per rule kind, through a running validator on real NATS and Postgres.
// The validator runs the default rule set plus one rule of each declarative kind, each scoped by `when` to the
// source named after it, so every pair exercises one rule alone.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Events,
  transactionKey,
  type Reason,
  type RuleSet,
  type TransactionQuarantined,
} from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { stringify } from 'yaml';
import { DEFAULT_RULE_SET_FILE, readRuleSetFile } from '../src/rules/rule-set.file.js';
import { ValidatorHarness, newTransaction } from './support.js';

interface Verdict {
  transaction_id: string;
  status: 'valid' | 'quarantined';
  reasons: Reason[];
}

let h: ValidatorHarness;

beforeAll(async () => {
  const defaults = await readRuleSetFile(DEFAULT_RULE_SET_FILE);
  const only = (source: string) => `source == "${source}"`;
  const ruleSet: RuleSet = {
    ...defaults,
    reference_sets: { ...defaults.reference_sets, naira_only: { NG: ['NGN'] } },
    rules: [
      ...defaults.rules,
      { id: 'kind.required', kind: 'required', field: 'reference', when: only('required') },
      { id: 'kind.type', kind: 'type', field: 'note', type: 'string', when: only('type') },
      {
        id: 'kind.format',
        kind: 'format',
        field: 'settlement_date',
        format: 'date-time',
        when: only('format'),
      },
      { id: 'kind.range', kind: 'range', field: 'amount', max: '10000', when: only('range') },
      {
        id: 'kind.enum',
        kind: 'enum',
        field: 'channel',
        values: ['mobile_money', 'wallet'],
        when: only('enum'),
      },
      {
        id: 'kind.reference',
        kind: 'reference',
        field: 'currency',
        set: 'naira_only',
        key: 'region',
        when: only('reference'),
      },
      {
        id: 'kind.pattern',
        kind: 'pattern',
        field: 'origin.account',
        pattern: '^C[0-9A-Za-z-]+$',
        when: only('pattern'),
      },
      {
        id: 'kind.expression',
        kind: 'expression',
        field: 'amount',
        expr: 'decimal(record.amount) <= decimal(record.origin.balance_before)',
        expected: '"at most the balance " + record.origin.balance_before',
        actual: 'record.amount',
        message: 'amount {actual} exceeds the balance before, {record.origin.balance_before}',
        when: only('expression'),
      },
    ],
  };
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-rules-')), 'kinds.yaml');
  writeFileSync(file, stringify(ruleSet));
  h = await ValidatorHarness.start({ VALIDATOR_DEFAULT_RULE_SET: file });
});
afterAll(async () => {
  await h?.stop();
});

async function verdicts(ids: string[]): Promise<Map<string, Verdict>> {
  const rows = await waitFor(
    () =>
      h.query<Verdict>(
        `SELECT transaction_id, status, reasons FROM validator.results WHERE transaction_id = ANY($1)`,
        [ids],
      ),
    (r) => r.length === ids.length,
    { what: `verdicts for ${ids.join(', ')}` },
  );
  return new Map(rows.map((r) => [r.transaction_id, r]));
}

/** Judges a passing and a failing record of one source; returns the failing record's reasons. */
async function pair(
  source: string,
  passing: Record<string, unknown>,
  failing: Record<string, unknown>,
): Promise<Reason[]> {
  await h.accept([passing, failing], { source });
  const found = await verdicts([String(passing.transaction_id), String(failing.transaction_id)]);
  expect(found.get(String(passing.transaction_id))).toMatchObject({ status: 'valid', reasons: [] });
  const failed = found.get(String(failing.transaction_id))!;
  expect(failed.status).toBe('quarantined');
  return failed.reasons;
}

describe('a rule of each kind holds back the failing record of a pair and passes the other', () => {
  it('required: a field that must be present', async () => {
    const reasons = await pair('required', newTransaction({ reference: 'INV-1' }), newTransaction());
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'kind.required',
        field: 'reference',
        message: 'reference is required',
        actual: 'absent',
      }),
    ]);
  });

  it('type: a field of the wrong JSON type', async () => {
    const reasons = await pair(
      'type',
      newTransaction({ note: 'paid at counter' }),
      newTransaction({ note: 42 }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({ code: 'kind.type', field: 'note', expected: 'string', actual: 'double' }),
    ]);
  });

  it('format: a date-time that is not RFC 3339', async () => {
    const reasons = await pair(
      'format',
      newTransaction({ settlement_date: '2026-01-02T00:00:00Z' }),
      newTransaction({ settlement_date: 'tomorrow' }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'kind.format',
        field: 'settlement_date',
        expected: 'date-time',
        actual: 'tomorrow',
      }),
    ]);
  });

  it('range: an amount above the maximum, compared exactly as a decimal', async () => {
    const reasons = await pair(
      'range',
      newTransaction({ amount: '10000.00' }),
      newTransaction({ amount: '10000.0001' }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'kind.range',
        field: 'amount',
        expected: '<= 10000',
        actual: '10000.0001',
      }),
    ]);
  });

  it('enum: a value outside the allowed list', async () => {
    const reasons = await pair(
      'enum',
      newTransaction({ channel: 'wallet' }),
      newTransaction({ channel: 'bank_transfer' }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'kind.enum',
        field: 'channel',
        actual: 'bank_transfer',
        expected: 'mobile_money, wallet',
      }),
    ]);
  });

  it('reference: a currency not in the reference set of its region', async () => {
    const reasons = await pair(
      'reference',
      newTransaction({ region: 'NG', currency: 'NGN' }),
      newTransaction({ region: 'NG', currency: 'USD' }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'kind.reference',
        field: 'currency',
        message: 'currency USD is not allowed for region NG (allowed: NGN)',
        expected: 'NGN',
        actual: 'USD',
      }),
    ]);
  });

  it('pattern: an account id that does not match', async () => {
    const reasons = await pair(
      'pattern',
      newTransaction({ origin: { account: 'C100' } }),
      newTransaction({ origin: { account: 'X-100' } }),
    );
    expect(reasons).toEqual([
      expect.objectContaining({ code: 'kind.pattern', field: 'origin.account', actual: 'X-100' }),
    ]);
  });

  it('cross-field expression: an amount above the balance it is paid from', async () => {
    const within = newTransaction({
      amount: '100.00',
      origin: { account: 'C1', balance_before: '100.00', balance_after: '0' },
    });
    const beyond = newTransaction({
      amount: '100.01',
      origin: { account: 'C1', balance_before: '100.00', balance_after: '-0.01' },
    });
    const reasons = await pair('expression', within, beyond);
    expect(reasons).toEqual([
      {
        code: 'kind.expression',
        field: 'amount',
        message: 'amount 100.01 exceeds the balance before, 100.00',
        severity: 'error',
        expected: 'at most the balance 100.00',
        actual: '100.01',
      },
    ]);
  });

  it('freshness: a timestamp ahead of the moment the record was received', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const reasons = await pair('freshness', newTransaction(), newTransaction({ timestamp: future }));
    expect(reasons).toEqual([
      expect.objectContaining({ code: 'freshness.future', field: 'timestamp', actual: future }),
    ]);
  });

  it('duplicate by id: a second message with a judged transaction id, its verdict left to the first', async () => {
    const first = newTransaction();
    const other = newTransaction();
    await h.accept([first, other], { source: 'dup-id' });
    await verdicts([first.transaction_id, other.transaction_id]);
    // a different message id, as a resend after the stream's 10-minute window would have
    await h.accept([{ ...first, amount: '1.00' }], { source: 'dup-id', msgIdSuffix: ':resent' });
    const [repeat] = await waitFor(
      () =>
        h.query<{ transaction_id: string; reasons: Reason[] }>(
          `SELECT transaction_id, reasons FROM validator.duplicate_messages WHERE transaction_id = $1`,
          [first.transaction_id],
        ),
      (rows) => rows.length === 1,
      { what: 'the repeated message recorded' },
    );
    expect(repeat!.reasons).toEqual([
      expect.objectContaining({
        code: 'duplicate.id',
        field: 'transaction_id',
        actual: first.transaction_id,
      }),
    ]);
    expect((await verdicts([first.transaction_id])).get(first.transaction_id)).toMatchObject({
      status: 'valid',
    });
    expect((await verdicts([other.transaction_id])).get(other.transaction_id)).toMatchObject({
      status: 'valid',
    });
    const held = await waitFor(
      () => h.messages<TransactionQuarantined>(Events.transactionQuarantined),
      (msgs) => msgs.some((m) => m.data.transaction_id === first.transaction_id),
      { what: 'the repeat on the quarantine stream' },
    );
    expect(held.filter((m) => m.data.transaction_id === first.transaction_id)).toHaveLength(1);
  });

  it('duplicate by content: the same payment under a new id within the window', async () => {
    const original = newTransaction();
    const sameContent = { ...original, transaction_id: `${original.transaction_id}-again`, amount: '125.5' };
    const reasons = await pair('dup-content', original, sameContent);
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'duplicate.content',
        message: `same type, amount, currency, time and parties as transaction ${original.transaction_id} (within 10m)`,
      }),
    ]);
    const differentAmount = {
      ...original,
      transaction_id: `${original.transaction_id}-other`,
      amount: '125.51',
      origin: { ...original.origin, balance_after: '999874.49' },
    };
    await h.accept([differentAmount], { source: 'dup-content' });
    expect(
      (await verdicts([differentAmount.transaction_id])).get(differentAmount.transaction_id),
    ).toMatchObject({ status: 'valid' });
  });
});

describe('duplicates are judged within a partner: transaction ids and content are unique per partner', () => {
  // as ingest publishes a partner's record: under its pipeline key <partner_id>~<transaction_id>
  const asPartner = (partnerId: string, record: Record<string, unknown>) => ({
    ...record,
    partner_id: partnerId,
    transaction_id: transactionKey(partnerId, String(record.transaction_id)),
  });

  it("passes the same payment from another partner, and names only the partner's own first transaction", async () => {
    const payment = newTransaction();
    const ofA = asPartner('partner-a', payment);
    const ofB = asPartner('partner-b', { ...payment, transaction_id: `${payment.transaction_id}-b` });
    await h.accept([ofA], { source: 'dup-tenants', partnerId: 'partner-a' });
    await verdicts([ofA.transaction_id]);
    await h.accept([ofB], { source: 'dup-tenants', partnerId: 'partner-b' });
    expect((await verdicts([ofB.transaction_id])).get(ofB.transaction_id)).toMatchObject({
      status: 'valid',
      reasons: [],
    });

    const againOfA = asPartner('partner-a', {
      ...payment,
      transaction_id: `${payment.transaction_id}-again`,
    });
    await h.accept([againOfA], { source: 'dup-tenants', partnerId: 'partner-a' });
    const held = (await verdicts([againOfA.transaction_id])).get(againOfA.transaction_id)!;
    expect(held.status).toBe('quarantined');
    expect(held.reasons).toEqual([
      expect.objectContaining({
        code: 'duplicate.content',
        message: `same type, amount, currency, time and parties as transaction ${payment.transaction_id} (within 10m)`,
        actual: `same content as ${payment.transaction_id}`,
      }),
    ]);
  });

  it('judges one id from two partners as two transactions, and names the repeat by the id the partner sent', async () => {
    const payment = newTransaction();
    const ofA = asPartner('partner-a', payment);
    const ofB = asPartner('partner-b', payment);
    await h.accept([ofA], { source: 'dup-tenants-id', partnerId: 'partner-a' });
    await h.accept([ofB], { source: 'dup-tenants-id', partnerId: 'partner-b' });
    const found = await verdicts([ofA.transaction_id, ofB.transaction_id]);
    expect(found.get(ofA.transaction_id)).toMatchObject({ status: 'valid' });
    expect(found.get(ofB.transaction_id)).toMatchObject({ status: 'valid' });

    await h.accept([{ ...ofA, amount: '1.00' }], {
      source: 'dup-tenants-id',
      partnerId: 'partner-a',
      msgIdSuffix: ':resent',
    });
    const [repeat] = await waitFor(
      () =>
        h.query<{ reasons: Reason[] }>(
          `SELECT reasons FROM validator.duplicate_messages WHERE transaction_id = $1`,
          [ofA.transaction_id],
        ),
      (rows) => rows.length === 1,
      { what: "partner-a's repeated message recorded" },
    );
    expect(repeat!.reasons).toEqual([
      expect.objectContaining({
        code: 'duplicate.id',
        message: `transaction_id ${payment.transaction_id} was already validated`,
        actual: payment.transaction_id,
      }),
    ]);
  });
});

describe('the PaySim balance equations, with a severity per source', () => {
  let accounts = 0;
  const transfer = (destinationAfter: string) =>
    newTransaction({
      type: 'TRANSFER',
      amount: '181.00',
      origin: { account: `C-victim-${++accounts}`, balance_before: '181.00', balance_after: '0' },
      destination: { account: `C-mule-${accounts}`, balance_before: '0', balance_after: destinationAfter },
    });
  const broken = () => transfer('0');
  const balanced = () => transfer('181.00');

  it('flags a PaySim import whose destination balance does not add up, and passes it on', async () => {
    const [ok, flagged] = [balanced(), broken()];
    await h.accept([ok, flagged], { source: 'paysim' });
    const found = await verdicts([ok.transaction_id, flagged.transaction_id]);
    expect(found.get(ok.transaction_id)).toMatchObject({ status: 'valid', reasons: [] });
    expect(found.get(flagged.transaction_id)).toMatchObject({
      status: 'valid',
      reasons: [
        {
          code: 'balance.destination',
          field: 'destination.balance_after',
          message: 'expected 181 after credit of 181.00, got 0',
          severity: 'warn',
          expected: '181',
          actual: '0',
        },
      ],
    });
  });

  it('quarantines the same break from a ledger that must reconcile', async () => {
    const reasons = await pair('ledger', balanced(), broken());
    expect(reasons).toEqual([
      expect.objectContaining({
        code: 'balance.destination',
        severity: 'error',
        expected: '181',
        actual: '0',
      }),
    ]);
  });
});
