// Each declarative rule kind is shorthand for a CEL expression; `rules validate` prints the expression it becomes.
import type { ValidationRule } from '@vigil/contracts';

/** A rule kind as CEL: the check (true passes) and what a failing record's reason shows. */
export interface KindExpression {
  check: string;
  expected?: string;
  actual?: string;
  message: string;
}

export class RuleDefinitionError extends Error {}

const FORMAT_PATTERNS: Record<NonNullable<ValidationRule['format']>, string> = {
  'date-time':
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$',
  decimal: '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$',
  'signed-decimal': '^-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$',
  'currency-code': '^[A-Z]{3}$',
  'country-code': '^[A-Z]{2}$',
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
};

/** `record.a.b` for the path a.b. */
export const fieldRef = (path: string): string => `record.${path}`;

/** `has(record.a) && has(record.a.b)`: true when every step of the path is present. */
export function presence(path: string): string {
  const parts = path.split('.');
  return parts.map((_, i) => `has(${fieldRef(parts.slice(0, i + 1).join('.'))})`).join(' && ');
}

const literal = (text: string): string => JSON.stringify(text);

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A rule-set duration (90s, 10m, 7d, 1h30m) in milliseconds. */
export function parseDurationMs(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g))
    total += Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return total;
}

/** CEL durations have no days: 7d becomes duration("604800s"). */
const celDuration = (text: string): string => {
  const ms = parseDurationMs(text);
  return `duration(${literal(ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`)})`;
};
const absentOr = (path: string, check: string): string => `!(${presence(path)}) || (${check})`;

const TYPE_TESTS: Record<NonNullable<ValidationRule['type']>, (ref: string) => string> = {
  string: (ref) => `type(${ref}) == string`,
  number: (ref) => `type(${ref}) == double || type(${ref}) == int`,
  integer: (ref) => `type(${ref}) == int || (type(${ref}) == double && int(${ref}) == ${ref})`,
  boolean: (ref) => `type(${ref}) == bool`,
  object: (ref) => `type(${ref}) == map`,
  array: (ref) => `type(${ref}) == list`,
  null: (ref) => `type(${ref}) == null_type`,
};

function need<T>(rule: ValidationRule, value: T | undefined, name: string): T {
  if (value === undefined) throw new RuleDefinitionError(`${rule.kind} needs ${name}`);
  return value;
}

/** The CEL a rule of a declarative kind stands for. Expression rules are their own CEL. */
export function kindExpression(rule: ValidationRule): KindExpression {
  const field = rule.field;
  switch (rule.kind) {
    case 'required': {
      const path = need(rule, field, 'field');
      return {
        check: presence(path),
        expected: literal('present'),
        actual: literal('absent'),
        message: `${path} is required`,
      };
    }
    case 'type': {
      const path = need(rule, field, 'field');
      const type = need(rule, rule.type, 'type');
      return {
        check: absentOr(path, TYPE_TESTS[type](fieldRef(path))),
        expected: literal(type),
        actual: `type(${fieldRef(path)})`,
        message: `${path} must be of type ${type}`,
      };
    }
    case 'format': {
      const path = need(rule, field, 'field');
      const format = need(rule, rule.format, 'format');
      return {
        check: absentOr(
          path,
          `type(${fieldRef(path)}) == string && ${fieldRef(path)}.matches(${literal(FORMAT_PATTERNS[format])})`,
        ),
        expected: literal(format),
        actual: fieldRef(path),
        message: `${path} must be a ${format}`,
      };
    }
    case 'range': {
      const path = need(rule, field, 'field');
      if (rule.min === undefined && rule.max === undefined)
        throw new RuleDefinitionError('range needs min or max');
      const value = `decimal(${fieldRef(path)})`;
      const bounds: string[] = [];
      const described: string[] = [];
      if (rule.min !== undefined) {
        bounds.push(`${value} ${rule.min_exclusive ? '>' : '>='} decimal(${literal(rule.min)})`);
        described.push(`${rule.min_exclusive ? '>' : '>='} ${rule.min}`);
      }
      if (rule.max !== undefined) {
        bounds.push(`${value} ${rule.max_exclusive ? '<' : '<='} decimal(${literal(rule.max)})`);
        described.push(`${rule.max_exclusive ? '<' : '<='} ${rule.max}`);
      }
      return {
        check: absentOr(path, bounds.join(' && ')),
        expected: literal(described.join(' and ')),
        actual: fieldRef(path),
        message: `${path} must be ${described.join(' and ')}`,
      };
    }
    case 'enum': {
      const path = need(rule, field, 'field');
      const values = need(rule, rule.values, 'values');
      return {
        check: absentOr(path, `${fieldRef(path)} in [${values.map(literal).join(', ')}]`),
        expected: `[${values.map(literal).join(', ')}]`,
        actual: fieldRef(path),
        message: `${path} must be one of ${values.join(', ')}`,
      };
    }
    case 'reference': {
      const path = need(rule, field, 'field');
      const set = `refs[${literal(need(rule, rule.set, 'set'))}]`;
      if (rule.key === undefined) {
        return {
          check: absentOr(path, `${fieldRef(path)} in ${set}`),
          expected: set,
          actual: fieldRef(path),
          message: `${path} {actual} is not in ${rule.set}`,
        };
      }
      const key = fieldRef(rule.key);
      const unknownKey = rule.unknown_key === 'fail' ? 'false' : 'true';
      return {
        check: `!(${presence(path)}) || !(${presence(rule.key)}) || (${key} in ${set} ? ${fieldRef(path)} in ${set}[${key}] : ${unknownKey})`,
        expected: `${key} in ${set} ? ${set}[${key}] : []`,
        actual: fieldRef(path),
        message: `${path} {actual} is not allowed for ${rule.key} {${key}} (allowed: {expected})`,
      };
    }
    case 'pattern': {
      const path = need(rule, field, 'field');
      const pattern = need(rule, rule.pattern, 'pattern');
      try {
        new RegExp(pattern);
      } catch (error) {
        throw new RuleDefinitionError(`pattern is not a regular expression: ${(error as Error).message}`);
      }
      return {
        check: absentOr(
          path,
          `type(${fieldRef(path)}) == string && ${fieldRef(path)}.matches(${literal(pattern)})`,
        ),
        expected: literal(pattern),
        actual: fieldRef(path),
        message: `${path} must match ${pattern}`,
      };
    }
    case 'freshness': {
      const path = field ?? 'timestamp';
      if (rule.max_age === undefined && rule.max_future === undefined)
        throw new RuleDefinitionError('freshness needs max_age or max_future');
      const at = `timestamp(${fieldRef(path)})`;
      const bounds: string[] = [];
      const described: string[] = [];
      if (rule.max_age !== undefined) {
        bounds.push(`${at} >= received_at - ${celDuration(rule.max_age)}`);
        described.push(`at most ${rule.max_age} before`);
      }
      if (rule.max_future !== undefined) {
        bounds.push(`${at} <= received_at + ${celDuration(rule.max_future)}`);
        described.push(`at most ${rule.max_future} after`);
      }
      const window = `${described.join(' and ')} it was received`;
      return {
        check: absentOr(path, bounds.join(' && ')),
        expected: literal(window),
        actual: fieldRef(path),
        message: `${path} {actual} must be ${window} ({received_at})`,
      };
    }
    case 'expression':
      return {
        check: need(rule, rule.expr, 'expr'),
        ...(field ? { actual: `${presence(field)} ? ${fieldRef(field)} : null` } : {}),
        message: `${rule.id} failed`,
      };
    case 'duplicate':
      throw new RuleDefinitionError('duplicate rules are checked against the shared window, not in CEL');
  }
}
