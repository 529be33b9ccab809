import type { ScoringPolicy } from '@vigil/contracts';
import type { FraudModel } from '../model/model-artifact.js';
import { compilePolicy, decide } from './scoring-policy.js';

const model = { version: 'gbdt-test', probability: () => 0.1 } as unknown as FraudModel;
const models = new Map([['gbdt-test', model]]);
const policy = (overrides: Partial<ScoringPolicy> = {}): ScoringPolicy => ({
  model: 'gbdt-test',
  thresholds: { review: 0.5, block: 0.9 },
  rules: [],
  ...overrides,
});

describe('compilePolicy', () => {
  it('refuses a model that is not installed, naming it', () => {
    expect(() => compilePolicy(policy({ model: 'gbdt-missing' }), 2, models)).toThrow(
      /gbdt-missing is not installed/,
    );
  });

  it('refuses a rule whose CEL does not parse, naming the rule', () => {
    const broken = policy({ rules: [{ id: 'BROKEN', expression: 'tx.amount >', score: 0.5, message: 'x' }] });
    expect(() => compilePolicy(broken, 2, models)).toThrow(/rule BROKEN/);
  });

  it('refuses a review threshold above the block threshold and a rule id used twice', () => {
    expect(() => compilePolicy(policy({ thresholds: { review: 0.95, block: 0.9 } }), 2, models)).toThrow(
      /review/,
    );
    const rule = { id: 'TWICE', expression: 'true', score: 0.1, message: 'x' };
    expect(() => compilePolicy(policy({ rules: [rule, rule] }), 2, models)).toThrow(/TWICE is defined twice/);
  });

  it('compiles rules that fire on the transaction and the features, and not on a type mismatch', () => {
    const compiled = compilePolicy(
      policy({
        rules: [
          {
            id: 'BIG_CASH_OUT',
            expression: "tx.type == 'CASH_OUT' && f.drain_ratio >= 0.9",
            score: 0.7,
            message: 'x',
          },
          { id: 'MISMATCH', expression: "f.drain_ratio + 'x' == 'y'", score: 0.7, message: 'x' },
        ],
      }),
      3,
      models,
    );
    const context = { tx: { type: 'CASH_OUT' }, f: { drain_ratio: 1 } } as never;
    expect(compiled.rules.map((r) => r.fires(context))).toEqual([true, false]);
  });
});

describe('decide', () => {
  it('maps a score to approve, review or block by the thresholds', () => {
    const thresholds = { review: 0.5, block: 0.9 };
    expect([0.49, 0.5, 0.89, 0.9].map((s) => decide(s, thresholds))).toEqual([
      'approve',
      'review',
      'review',
      'block',
    ]);
  });
});
