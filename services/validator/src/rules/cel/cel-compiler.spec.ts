// The compiled rules must say what cel-js says. For every expression below, and the default rule set's, the
// generated function, the reference closures and cel-js's own evaluator agree on every record: the same value,
// or an error in all three.
import { newTransaction } from '@vigil/testing';
import { celEnvironments, CelDecimal, RULE_VARIABLES } from './cel-environment.js';
import { compileExpression, type CelContext } from './cel-compiler.js';
import { compileRuleSet } from '../rule-set.compiler.js';
import { DEFAULT_RULE_SET_FILE, readRuleSetFile } from '../rule-set.file.js';

const { rules: env } = celEnvironments();
const VARIABLES = Object.keys(RULE_VARIABLES);

const records: Record<string, unknown>[] = [
  newTransaction(),
  newTransaction({ amount: '0' }),
  newTransaction({
    amount: '999999999999999999.9999',
    origin: { account: 'C1', balance_before: '-5', balance_after: '0.5' },
  }),
  newTransaction({
    type: 'CASH_IN',
    origin: { account: 'C1', balance_before: '100.00', balance_after: '225.50' },
  }),
  newTransaction({
    fee: '1.25',
    destination: { account: 'M1', balance_before: '0', balance_after: '125.5' },
  }),
  newTransaction({
    region: 'KE',
    currency: 'USD',
    channel: 'card',
    card: { token: `tok_${'a'.repeat(32)}`, last4: '4242' },
  }),
  newTransaction({ timestamp: '2020-01-01T00:00:00Z', note: 42, tags: ['a', 'b'], nested: { deep: null } }),
  newTransaction({ timestamp: 'not a time', amount: 'twelve', destination: undefined }),
  { transaction_id: 'sparse', origin: 'not-a-map', amount: 12.5 },
  ...[
    '2026-02-30T00:00:00Z',
    '2026-01-01T00:00:00.5Z',
    '2026-01-01T00:00:00.123456Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T00:00:00+01:00',
    '2026-01-01t00:00:00z',
    '0099-01-01T00:00:00Z',
  ].map((timestamp) => newTransaction({ timestamp })),
];

const expressions = [
  'has(record.fee)',
  'has(record.origin.balance_before) && has(record.origin.balance_after)',
  'has(record.origin.account)',
  'decimal(record.amount) > decimal("0")',
  'decimal(record.amount) <= decimal("1000") && decimal(record.amount) >= decimal("0.0001")',
  '!has(record.fee) || decimal(record.fee) <= decimal(record.amount)',
  'decimal(record.origin.balance_before) - decimal(record.amount) == decimal(record.origin.balance_after)',
  'string(decimal(record.amount) + decimal("0.5"))',
  '-decimal(record.amount) < decimal("0")',
  'record.region in refs["currencies"] ? record.currency in refs["currencies"][record.region] : true',
  'record.channel in ["card", "mobile_money"]',
  'record.currency == "NGN" || record.currency == "KES"',
  'record.destination.account != record.origin.account',
  'record.origin.account.matches("^C[0-9A-Za-z-]+$")',
  'record.transaction_id.startsWith("t-") && record.transaction_id.contains("-")',
  'size(record.transaction_id) > 3 && record.tags.size() == 2',
  'type(record.note) == double || type(record.note) == string',
  'type(record.note) == int || (type(record.note) == double && int(record.note) == record.note)',
  'timestamp(record.timestamp)',
  'timestamp(record.timestamp) <= received_at + duration("300s")',
  'timestamp(record.timestamp) >= received_at - duration("720h")',
  'received_at - timestamp(record.timestamp) < duration("24h")',
  'source == "ledger" ? record.type != "CASH_IN" : true',
  'record.nested.deep == null',
  'false && record.missing',
  'record.missing || true',
  'record.missing && false',
  '[1, 2, 3][1] == 2 && 7 / 2 == 3 && 7 % 2 == 1 && 1.5 + 1.0 == 2.5',
  '9223372036854775807 + 1 > 0',
  'record.amount + "x"',
  'record.items.all(i, i > 0)',
];

const ctxOf = (record: unknown): CelContext => ({
  record,
  source: 'ledger',
  refs: { currencies: { NG: ['NGN', 'USD'], KE: ['KES'] } },
  received_at: new Date('2026-01-02T00:00:00Z'),
});

/** A comparable form of a value or an error: decimals as canonical text, errors as "error". */
function outcome(run: () => unknown, type: string): string {
  try {
    const value = run();
    if (value instanceof CelDecimal) return `decimal ${value.toString()}`;
    if (type === 'decimal' && (typeof value === 'bigint' || typeof value === 'number'))
      return `decimal ${new CelDecimal(BigInt(value)).toString()}`;
    if (value instanceof Date) return `timestamp ${value.toISOString()}`;
    if (typeof value === 'bigint') return `int ${value}`;
    return JSON.stringify(value) ?? String(value);
  } catch {
    return 'error';
  }
}

describe('compiled CEL agrees with cel-js', () => {
  it.each(expressions)('%s', (text) => {
    const compiled = compileExpression(env, text, VARIABLES);
    const viaCelJs = env.parse(text);
    for (const record of records) {
      const ctx = ctxOf(record);
      expect(
        `${JSON.stringify(record).slice(0, 60)}: ${outcome(() => compiled.evaluate(ctx), compiled.type)}`,
      ).toBe(
        `${JSON.stringify(record).slice(0, 60)}: ${outcome(() => viaCelJs(ctx) as unknown, compiled.type)}`,
      );
    }
  });

  it('compiles the default rule set into generated code, every rule of it agreeing with cel-js', async () => {
    const ruleSet = compileRuleSet(await readRuleSetFile(DEFAULT_RULE_SET_FILE), '1');
    expect(ruleSet.rules.filter((r) => !r.check.compiled).map((r) => r.id)).toEqual([]);
    expect(ruleSet.programs).toHaveLength(1);
    for (const rule of ruleSet.rules) {
      const viaCelJs = env.parse(rule.cel);
      for (const record of records) {
        const ctx = ctxOf(record);
        expect(`${rule.id}: ${outcome(() => rule.check.evaluate(ctx), 'bool')}`).toBe(
          `${rule.id}: ${outcome(() => viaCelJs(ctx) as unknown, 'bool')}`,
        );
      }
    }
  });

  it('runs what it does not compile on cel-js, and says so', () => {
    expect(compileExpression(env, 'record.items.all(i, i > 0)', VARIABLES).compiled).toBe(false);
    expect(compileExpression(env, 'has(record.fee)', VARIABLES).compiled).toBe(true);
  });

  it("refuses an expression that is not CEL, or not well typed, with cel-js's reason", () => {
    expect(() => compileExpression(env, 'record.amount >', VARIABLES)).toThrow(/in "record\.amount >"/);
    expect(() => compileExpression(env, 'decimal(record.amount) > 0', VARIABLES)).toThrow(
      /no such overload|no matching overload/i,
    );
    expect(() => compileExpression(env, 'unknown_variable == 1', VARIABLES)).toThrow(/unknown_variable/);
  });

  it('compares money exactly: no float rounding at 18 digits', () => {
    const exact = compileExpression(
      env,
      'decimal(record.a) + decimal(record.b) == decimal(record.c)',
      VARIABLES,
    );
    const ctx = ctxOf({ a: '999999999999999999.9998', b: '0.0001', c: '999999999999999999.9999' });
    expect(exact.evaluate(ctx)).toBe(true);
    expect(exact.evaluate(ctxOf({ a: '0.1', b: '0.2', c: '0.3' }))).toBe(true);
    expect(
      exact.evaluate(ctxOf({ a: '999999999999999999.9998', b: '0.0001', c: '999999999999999999.9998' })),
    ).toBe(false);
  });
});
