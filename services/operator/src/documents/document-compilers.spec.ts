// The operator refuses what each service would refuse, with the service's own words.
import { fileURLToPath } from 'node:url';
import { documentCompilers, loadScorerModels, type DocumentCompilers } from './document-compilers.js';

const MODELS = fileURLToPath(new URL('../../../scorer/models', import.meta.url));
let compilers: DocumentCompilers;

beforeAll(async () => {
  compilers = documentCompilers(await loadScorerModels(MODELS));
});

describe('document compilers', () => {
  it("names the validation rule whose CEL does not compile, with the validator's message", () => {
    const problems = compilers.ValidationRuleSet({
      name: 'r',
      rules: [
        { id: 'ok', kind: 'required', field: 'amount' },
        { id: 'amount.cap', kind: 'expression', expr: 'decimal(record.amount) <<= 5' },
      ],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rule amount\.cap \(#2\): /);
  });

  it('refuses a scoring policy naming a model the scorer does not have, or a rule that does not parse', () => {
    const policy = {
      model: 'gbdt-c68ba30f232e',
      thresholds: { review: 0.5, block: 0.9 },
      rules: [{ id: 'CASH_OUT', expression: "tx.type == 'CASH_OUT'", score: 0.4, message: 'a cash-out' }],
    };
    expect(compilers.ScoringPolicy(policy)).toEqual([]);
    expect(compilers.ScoringPolicy({ ...policy, model: 'gbdt-000000000000' })).toEqual([
      expect.stringMatching(/^model gbdt-000000000000 is not installed/),
    ]);
    expect(
      compilers.ScoringPolicy({ ...policy, rules: [{ ...policy.rules[0], expression: "tx.type == 'CASH" }] }),
    ).toEqual([expect.stringMatching(/^rule CASH_OUT: /)]);
  });

  it('refuses an alert policy whose receiver names an unknown channel, or whose matcher does not compile', () => {
    const route = { receiver: 'default' };
    expect(
      compilers.AlertPolicy({ receivers: { default: { channels: ['default-webhook'] } }, route }),
    ).toEqual([]);
    expect(compilers.AlertPolicy({ receivers: { default: { channels: ['pager'] } }, route })).toEqual([
      expect.stringContaining('pager'),
    ]);
    const badMatcher = {
      receiver: 'default',
      routes: [{ receiver: 'default', matchers: ['region=~"(NG"'] }],
    };
    expect(
      compilers.AlertPolicy({ receivers: { default: { channels: ['default-webhook'] } }, route: badMatcher }),
    ).toEqual([expect.stringContaining('(NG')]);
  });
});
