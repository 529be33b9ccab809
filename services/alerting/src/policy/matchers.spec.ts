import { matchesAll, parseMatcher, parseMatchers } from './matchers.js';

const labels = {
  alertname: 'HighRiskTransaction',
  region: 'NG',
  severity: 'critical',
  note: 'a "quoted" word',
};

describe('matchers', () => {
  it.each([
    ['region="NG"', true],
    ['region = "KE"', false],
    ['region!="KE"', true],
    ['region=~"NG|KE"', true],
    ['region=~"N"', false],
    ['region!~"K.*"', true],
    ['region=NG', true],
    ['team=""', true],
    ['team!=""', false],
    ['note="a \\"quoted\\" word"', true],
  ])('%s matches the labels: %p', (text, expected) => {
    expect(parseMatcher(text).matches(labels)).toBe(expected);
  });

  it('anchors regular expressions to the whole value', () => {
    expect(parseMatcher('alertname=~"Risk"').matches(labels)).toBe(false);
    expect(parseMatcher('alertname=~".*Risk.*"').matches(labels)).toBe(true);
  });

  it('needs every matcher to hold', () => {
    expect(matchesAll(parseMatchers(['region="NG"', 'severity="critical"']), labels)).toBe(true);
    expect(matchesAll(parseMatchers(['region="NG"', 'severity="warning"']), labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });

  it('refuses text that is not a matcher and regexes that do not compile', () => {
    expect(() => parseMatcher('region')).toThrow('"region" is not a matcher');
    expect(() => parseMatcher('region=~"("')).toThrow('invalid regular expression');
  });
});
