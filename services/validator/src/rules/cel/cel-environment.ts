// The CEL environment rules are written against: the record, its source, the reference sets, the time ingest
// received it, and an exact `decimal` type for money (a float never judges an amount).
import { Environment } from '@marcbachmann/cel-js';
import { fromScaled } from '@vigil/contracts';
import { parseScaled } from './decimal.js';

/** A decimal as cel-js's own evaluator holds it; compiled rules use the bare scaled bigint instead. */
export class CelDecimal {
  constructor(readonly scaled: bigint) {}
  toString(): string {
    return fromScaled(this.scaled);
  }
}

export class CelRuleError extends Error {
  override name = 'CelRuleError';
}

/** decimal(text): refuses anything but a decimal string with at most four fraction digits. */
export function decimalOf(text: unknown): bigint {
  const scaled = typeof text === 'string' ? parseScaled(text) : undefined;
  if (scaled === undefined)
    throw new CelRuleError(`decimal() needs a decimal string, got ${JSON.stringify(text)}`);
  return scaled;
}

/** The variables every rule expression may use; documented in README. */
export const RULE_VARIABLES = {
  record: 'map',
  source: 'string',
  refs: 'map',
  received_at: 'google.protobuf.Timestamp',
} as const;

/** Extra variables of message, expected and actual templates. */
export const MESSAGE_VARIABLES = { expected: 'dyn', actual: 'dyn' } as const;

export interface CelEnvironments {
  rules: Environment;
  messages: Environment;
}

function base(): Environment {
  const env = new Environment({
    homogeneousAggregateLiterals: false,
    limits: {
      maxAstNodes: 2_000,
      maxDepth: 64,
      maxListElements: 1_000,
      maxMapEntries: 1_000,
      maxCallArguments: 8,
    },
  })
    .registerType('decimal', CelDecimal)
    .registerFunction('decimal(string): decimal', (text: string) => new CelDecimal(decimalOf(text)), {
      description: 'An exact decimal from a decimal string such as "125.50"',
    })
    .registerFunction('decimal(int): decimal', (value: bigint) => new CelDecimal(value * 10_000n))
    .registerFunction('string(decimal): string', (value: CelDecimal) => value.toString())
    .registerOperator(
      'decimal + decimal',
      (a: CelDecimal, b: CelDecimal) => new CelDecimal(a.scaled + b.scaled),
    )
    .registerOperator(
      'decimal - decimal',
      (a: CelDecimal, b: CelDecimal) => new CelDecimal(a.scaled - b.scaled),
    )
    .registerOperator('-decimal', (a: CelDecimal) => new CelDecimal(-a.scaled))
    // registering == also gives !=
    .registerOperator('decimal == decimal', (a: CelDecimal, b: CelDecimal) => a.scaled === b.scaled)
    .registerOperator('decimal < decimal', (a: CelDecimal, b: CelDecimal) => a.scaled < b.scaled)
    .registerOperator('decimal <= decimal', (a: CelDecimal, b: CelDecimal) => a.scaled <= b.scaled)
    .registerOperator('decimal > decimal', (a: CelDecimal, b: CelDecimal) => a.scaled > b.scaled)
    .registerOperator('decimal >= decimal', (a: CelDecimal, b: CelDecimal) => a.scaled >= b.scaled);
  for (const [name, type] of Object.entries(RULE_VARIABLES)) env.registerVariable(name, type);
  return env;
}

/** Building an environment is costly: one pair per rule-set compilation is plenty. */
export function celEnvironments(): CelEnvironments {
  const rules = base();
  const messages = base();
  for (const [name, type] of Object.entries(MESSAGE_VARIABLES)) messages.registerVariable(name, type);
  return { rules, messages };
}
