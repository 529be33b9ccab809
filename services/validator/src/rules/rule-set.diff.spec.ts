import type { RuleSet } from '@vigil/contracts';
import { diffRuleSets } from './rule-set.diff.js';

const base: RuleSet = {
  name: 'default',
  reference_sets: { currencies: ['NGN'] },
  rules: [
    { id: 'a', kind: 'required', field: 'x' },
    { id: 'b', kind: 'range', field: 'amount', max: '10', severity: 'warn' },
  ],
};

describe('diffRuleSets', () => {
  it('describes added, removed and changed rules field by field', () => {
    const next: RuleSet = {
      ...base,
      reference_sets: { currencies: ['NGN', 'USD'] },
      rules: [
        { id: 'b', kind: 'range', field: 'amount', max: '10', severity: 'error' },
        { id: 'c', kind: 'enum', field: 'channel', values: ['card'] },
      ],
    };
    expect(diffRuleSets(base, next)).toEqual([
      '~ b.severity: "warn" -> "error"',
      '+ c (enum, error)',
      '- a',
      '~ reference set currencies changed',
    ]);
  });

  it('reports nothing for the same document, and everything for the first one', () => {
    expect(diffRuleSets(base, structuredClone(base))).toEqual([]);
    expect(diffRuleSets(undefined, base)).toEqual(['new rule set "default" with 2 rules']);
  });
});
