// Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"` (regex anchored).

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly operator: MatchOperator;
  readonly value: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
  toString(): string;
}

const SYNTAX = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

export function parseMatcher(text: string): Matcher {
  const parsed = SYNTAX.exec(text);
  if (!parsed) throw new Error(`"${text}" is not a matcher (e.g. severity="critical", region=~"NG|KE")`);
  const [, name, operator, quoted, bare] = parsed as unknown as [
    string,
    string,
    MatchOperator,
    string?,
    string?,
  ];
  const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
  let test: (actual: string) => boolean;
  if (operator === '=~' || operator === '!~') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${value})$`);
    } catch (error) {
      throw new Error(`"${text}" has an invalid regular expression: ${(error as Error).message}`, {
        cause: error,
      });
    }
    test = operator === '=~' ? (actual) => pattern.test(actual) : (actual) => !pattern.test(actual);
  } else {
    test = operator === '=' ? (actual) => actual === value : (actual) => actual !== value;
  }
  // as in Alertmanager, a missing label reads as the empty string
  return {
    name,
    operator,
    value,
    matches: (labels) => test(labels[name] ?? ''),
    toString: () => `${name}${operator}${JSON.stringify(value)}`,
  };
}

export const parseMatchers = (texts: readonly string[] = []): Matcher[] => texts.map(parseMatcher);

export const matchesAll = (matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean =>
  matchers.every((m) => m.matches(labels));
