// The default rule set (rules/default.yaml) keeps the checks the validator always made, with their codes,
// fields and messages; judge() is pure, so these run without NATS or Postgres.
import type { Reason } from '@vigil/contracts';
import { newTransaction, type TransactionInput } from '@vigil/testing';
import { RuleEngine, type Verdict } from './rule-engine.js';
import { compileRuleSet } from './rule-set.compiler.js';
import { DEFAULT_RULE_SET_FILE, readRuleSetFile } from './rule-set.file.js';

let engine: RuleEngine;
beforeAll(async () => {
  engine = new RuleEngine(compileRuleSet(await readRuleSetFile(DEFAULT_RULE_SET_FILE), '1'));
});
const validator = {
  judge: (record: unknown, source = 'api'): Verdict => engine.judge(record, source, new Date()).verdict,
};
const judge = (overrides: Partial<TransactionInput> = {}): Verdict =>
  validator.judge(newTransaction(overrides));

function quarantineReasons(verdict: Verdict): Reason[] {
  if (verdict.status !== 'quarantined')
    throw new Error(`expected quarantine, got ${JSON.stringify(verdict)}`);
  return verdict.reasons;
}
function warnings(verdict: Verdict): Reason[] {
  if (verdict.status !== 'valid') throw new Error(`expected a valid verdict, got ${JSON.stringify(verdict)}`);
  return verdict.warnings;
}

describe('judge()', () => {
  it('passes the factory default without warnings', () => {
    expect(judge()).toMatchObject({ status: 'valid', warnings: [] });
  });

  it('hands back the record it judged as the transaction', () => {
    const record = newTransaction();
    expect(validator.judge(record)).toEqual({ status: 'valid', transaction: record, warnings: [] });
  });

  describe('range.amount', () => {
    it.each(['0', '0.00', '0.0000'])('quarantines the zero amount %p', (amount) => {
      expect(quarantineReasons(judge({ amount }))).toEqual([
        {
          code: 'range.amount',
          field: 'amount',
          message: 'amount must be greater than zero',
          severity: 'error',
          expected: '> 0',
          actual: amount,
        },
      ]);
    });

    it('passes the smallest positive amount', () => {
      const balances = { balance_before: '1', balance_after: '0.9999' };
      expect(judge({ amount: '0.0001', origin: { account: 'C1', ...balances } }).status).toBe('valid');
    });
  });

  describe('region.currency', () => {
    it('quarantines KES in NG, naming the currency and the allowed ones', () => {
      expect(quarantineReasons(judge({ region: 'NG', currency: 'KES' }))).toEqual([
        {
          code: 'region.currency',
          field: 'currency',
          message: 'currency KES is not allowed in region NG (allowed: NGN, USD)',
          severity: 'error',
          expected: 'NGN, USD',
          actual: 'KES',
        },
      ]);
    });

    it.each([
      ['KE', 'KES'],
      ['KE', 'USD'],
      ['NG', 'NGN'],
      ['DE', 'EUR'],
    ])('passes %s with %s', (region, currency) => {
      expect(judge({ region, currency }).status).toBe('valid');
    });

    it('quarantines USD in a euro-area region', () => {
      expect(quarantineReasons(judge({ region: 'FR', currency: 'USD' }))).toContainEqual(
        expect.objectContaining({ code: 'region.currency', field: 'currency' }),
      );
    });

    it.each([
      ['JP', 'JPY'],
      ['BR', 'USD'],
    ])('passes %s with %s: a region without reference data is not guessed at', (region, currency) => {
      expect(judge({ region, currency }).status).toBe('valid');
    });
  });

  describe('parties.distinct', () => {
    it('quarantines a transfer to the paying account itself', () => {
      const reasons = quarantineReasons(
        judge({ type: 'TRANSFER', origin: { account: 'C100' }, destination: { account: 'C100' } }),
      );
      expect(reasons).toEqual([
        {
          code: 'parties.distinct',
          field: 'destination.account',
          message: 'origin and destination accounts must differ',
          severity: 'error',
          expected: 'an account other than C100',
          actual: 'C100',
        },
      ]);
    });

    it('passes two different accounts, and a record without a destination', () => {
      expect(judge({ origin: { account: 'C100' }, destination: { account: 'C200' } }).status).toBe('valid');
      const noDestination = newTransaction();
      delete noDestination.destination;
      expect(validator.judge(noDestination).status).toBe('valid');
    });
  });

  describe('range.fee', () => {
    it('quarantines a fee above the amount', () => {
      expect(quarantineReasons(judge({ amount: '125.50', fee: '125.51' }))).toEqual([
        {
          code: 'range.fee',
          field: 'fee',
          message: 'fee must not exceed amount',
          severity: 'error',
          expected: 'at most 125.50',
          actual: '125.51',
        },
      ]);
    });

    it.each(['0', '1.25', '125.50', '125.5'])('passes a fee of %p on 125.50', (fee) => {
      expect(judge({ amount: '125.50', fee }).status).toBe('valid');
    });
  });

  describe('balance equations (PaySim): warnings, never quarantine', () => {
    it('passes a debit that leaves the origin balance lower by the amount', () => {
      expect(
        warnings(
          judge({
            type: 'PAYMENT',
            amount: '125.50',
            origin: { account: 'C1', balance_before: '10000.00', balance_after: '9874.50' },
          }),
        ),
      ).toEqual([]);
    });

    it('warns when a debit leaves the origin balance wrong, naming what was expected', () => {
      const verdict = judge({
        type: 'CASH_OUT',
        amount: '125.50',
        origin: { account: 'C1', balance_before: '10000.00', balance_after: '10000.00' },
      });
      expect(verdict.status).toBe('valid');
      expect(warnings(verdict)).toEqual([
        {
          code: 'balance.origin',
          field: 'origin.balance_after',
          message: 'expected 9874.5 after debit of 125.50, got 10000.00',
          severity: 'warn',
          expected: '9874.5',
          actual: '10000.00',
        },
      ]);
    });

    it('credits the origin of a CASH_IN and debits its destination', () => {
      expect(
        warnings(
          judge({
            type: 'CASH_IN',
            amount: '125.50',
            origin: { account: 'C1', balance_before: '100.00', balance_after: '225.50' },
            destination: { account: 'M1', balance_before: '1000.00', balance_after: '874.50' },
          }),
        ),
      ).toEqual([]);
    });

    it('warns when a CASH_IN debits the origin instead of crediting it', () => {
      expect(
        warnings(
          judge({
            type: 'CASH_IN',
            amount: '125.50',
            origin: { account: 'C1', balance_before: '100.00', balance_after: '-25.50' },
          }),
        ),
      ).toEqual([
        expect.objectContaining({
          code: 'balance.origin',
          field: 'origin.balance_after',
          message: 'expected 225.5 after credit of 125.50, got -25.50',
          severity: 'warn',
        }),
      ]);
    });

    it('credits the destination of a transfer', () => {
      expect(
        warnings(
          judge({
            type: 'TRANSFER',
            amount: '181.00',
            origin: { account: 'C1', balance_before: '181.00', balance_after: '0' },
            destination: { account: 'C2', balance_before: '0', balance_after: '181' },
          }),
        ),
      ).toEqual([]);
    });

    it('warns on the destination side when the money never arrived (the PaySim fraud signature)', () => {
      expect(
        warnings(
          judge({
            type: 'TRANSFER',
            amount: '181.00',
            origin: { account: 'C1', balance_before: '181.00', balance_after: '0' },
            destination: { account: 'C2', balance_before: '0', balance_after: '0' },
          }),
        ),
      ).toEqual([
        {
          code: 'balance.destination',
          field: 'destination.balance_after',
          message: 'expected 181 after credit of 181.00, got 0',
          severity: 'warn',
          expected: '181',
          actual: '0',
        },
      ]);
    });

    it('checks nothing on a side that does not carry both balances', () => {
      expect(
        warnings(
          judge({
            type: 'TRANSFER',
            origin: { account: 'C1', balance_before: '5' },
            destination: { account: 'C2', balance_after: '0' },
          }),
        ),
      ).toEqual([]);
    });

    it('keeps the warnings of a record that is quarantined for another reason out of its reasons', () => {
      const reasons = quarantineReasons(
        judge({
          region: 'NG',
          currency: 'KES',
          origin: { account: 'C1', balance_before: '0', balance_after: '0' },
        }),
      );
      expect(reasons.map((r) => r.code)).toEqual(['region.currency']);
    });
  });

  describe('quarantine reasons', () => {
    it('lists every failed rule, each with a code, the field and a message', () => {
      const reasons = quarantineReasons(
        judge({
          amount: '0',
          fee: '1.00',
          region: 'KE',
          currency: 'NGN',
          origin: { account: 'C1' },
          destination: { account: 'C1' },
        }),
      );
      expect(reasons.map((r) => [r.code, r.field])).toEqual([
        ['range.amount', 'amount'],
        ['region.currency', 'currency'],
        ['parties.distinct', 'destination.account'],
        ['range.fee', 'fee'],
      ]);
      for (const reason of reasons) {
        expect(reason).toEqual({
          code: expect.any(String),
          field: expect.any(String),
          message: expect.stringMatching(/\S/),
          severity: 'error',
          expected: expect.any(String),
          actual: expect.any(String),
        });
      }
    });

    it('reports schema failures alone, before any cross-field rule runs', () => {
      const reasons = quarantineReasons(
        judge({ amount: '12.345678', region: 'NG', currency: 'KES', destination: undefined }),
      );
      expect(reasons).toEqual([
        expect.objectContaining({ code: 'schema.pattern', field: 'amount', severity: 'error' }),
      ]);
    });

    it('names the field of a schema failure', () => {
      const record: Record<string, unknown> = newTransaction();
      delete record.amount;
      expect(quarantineReasons(validator.judge(record))).toEqual([
        { code: 'schema.required', field: 'amount', message: 'amount is required', severity: 'error' },
      ]);
    });

    it('quarantines something that is not a record at all', () => {
      for (const input of [null, 'text', 42, []])
        expect(quarantineReasons(validator.judge(input))).toEqual([
          expect.objectContaining({ code: 'schema.type', message: 'record must be object' }),
        ]);
    });
  });
});
