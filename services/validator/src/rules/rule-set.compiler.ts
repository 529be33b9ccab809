// A rule-set document compiled once into what every record runs: CEL closures, severities per source,
// message templates and duplicate windows. A document that does not compile is refused as a whole, with
// every problem named by its rule.
import { hash } from 'node:crypto';
import type { RuleSet, ValidationRule } from '@vigil/contracts';
import {
  celEnvironments,
  type CelEnvironments,
  RULE_VARIABLES,
  MESSAGE_VARIABLES,
} from './cel/cel-environment.js';
import {
  CelCompileError,
  compileExpression,
  type CelContext,
  type CompiledExpression,
} from './cel/cel-compiler.js';
import { PROGRAM_RULES, generateProgram } from './cel/cel-codegen.js';
import { parseScaled } from './cel/decimal.js';
import { fingerprintSeed } from './fingerprint.js';
import { kindExpression, parseDurationMs, RuleDefinitionError } from './rule-kinds.js';

export type Severity = 'error' | 'warn';
type SourceSeverity = Severity | 'off';

export class RuleSetError extends Error {
  constructor(readonly problems: string[]) {
    super(`rule set does not compile: ${problems.join('; ')}`);
    this.name = 'RuleSetError';
  }
}

/** A message with `{placeholder}` parts, each a CEL expression (`expected`, `actual` and the rule variables). */
export class MessageTemplate {
  private constructor(private readonly parts: (string | CompiledExpression)[]) {}

  static compile(env: CelEnvironments['messages'], template: string): MessageTemplate {
    const parts: (string | CompiledExpression)[] = [];
    let last = 0;
    for (const match of template.matchAll(/\{([^{}]+)\}/g)) {
      if (match.index > last) parts.push(template.slice(last, match.index));
      parts.push(compileExpression(env, match[1]!.trim(), MESSAGE_VARIABLE_NAMES));
      last = match.index + match[0].length;
    }
    if (last < template.length) parts.push(template.slice(last));
    return new MessageTemplate(parts);
  }

  render(ctx: CelContext): string {
    let text = '';
    for (const part of this.parts) {
      if (typeof part === 'string') {
        text += part;
        continue;
      }
      try {
        text += part.render(part.evaluate(ctx));
      } catch {
        text += '?';
      }
    }
    return text;
  }
}

const RULE_VARIABLE_NAMES = Object.keys(RULE_VARIABLES);
const MESSAGE_VARIABLE_NAMES = [...RULE_VARIABLE_NAMES, ...Object.keys(MESSAGE_VARIABLES)];

interface RuleBase {
  id: string;
  kind: ValidationRule['kind'];
  field?: string;
  severity: Severity;
  /** Only set when the rule names sources; most rules have one severity. */
  bySource?: ReadonlyMap<string, SourceSeverity>;
}

export interface CelRule extends RuleBase {
  /** The CEL the rule evaluates (for declarative kinds, what the kind stands for). */
  cel: string;
  check: CompiledExpression;
  when?: CompiledExpression;
  expected?: CompiledExpression;
  actual?: CompiledExpression;
  message: MessageTemplate;
}

export interface DuplicateRule extends RuleBase {
  by: 'id' | 'content';
  fields: readonly string[][];
  /** Where the rule's fingerprints start: the hash lanes after its id. */
  seed: readonly [number, number];
  /** How long a fingerprint is remembered; undefined for ids, which are remembered for good. */
  windowMs?: number;
  message: string;
}

export interface AnomalySettings {
  alpha: number;
  deviations: number;
  minDrop: number;
  minRecords: number;
  minWindows: number;
}

export const DEFAULT_ANOMALY: AnomalySettings = {
  alpha: 0.2,
  deviations: 3,
  minDrop: 0.05,
  minRecords: 20,
  minWindows: 5,
};

/** Rules evaluated together by one generated function; `run` returns the mask of those that failed. */
export interface RuleProgram {
  rules: readonly CelRule[];
  run(ctx: CelContext): number;
}

export interface CompiledRuleSet {
  /** The KV version as text, carried by every verdict (`rule_set_version`). */
  version: string;
  name: string;
  rules: readonly CelRule[];
  /** All rules, in order, grouped into generated programs; a rule cel-js must run is a group of its own. */
  programs: readonly (RuleProgram | CelRule)[];
  duplicates: readonly DuplicateRule[];
  refs: Readonly<Record<string, unknown>>;
  anomaly: AnomalySettings;
  /** The document's SHA-256, for the audit log. */
  digest: string;
}

export function severityFor(rule: RuleBase, source: string): SourceSeverity {
  return rule.bySource?.get(source) ?? rule.severity;
}

export function compileRuleSet(document: RuleSet, version: string): CompiledRuleSet {
  const env = celEnvironments();
  const problems: string[] = [];
  const rules: CelRule[] = [];
  const duplicates: DuplicateRule[] = [];
  const seen = new Set<string>();
  const refs = document.reference_sets ?? {};
  for (const [index, rule] of document.rules.entries()) {
    const where = `rule ${rule.id} (#${index + 1})`;
    if (seen.has(rule.id)) {
      problems.push(`${where}: the id is used twice`);
      continue;
    }
    seen.add(rule.id);
    try {
      if (rule.kind === 'duplicate') duplicates.push(compileDuplicate(rule));
      else rules.push(compileCelRule(env, rule));
      if (rule.kind === 'reference' && !(rule.set! in refs))
        problems.push(`${where}: reference set ${rule.set} is not defined in reference_sets`);
      if (rule.min !== undefined && rule.max !== undefined && parseScaled(rule.min)! > parseScaled(rule.max)!)
        problems.push(`${where}: min ${rule.min} is above max ${rule.max}`);
    } catch (error) {
      if (error instanceof CelCompileError || error instanceof RuleDefinitionError)
        problems.push(`${where}: ${error.message}`);
      else throw error;
    }
  }
  if (problems.length > 0) throw new RuleSetError(problems);
  const anomaly = document.anomaly ?? {};
  return {
    version,
    name: document.name,
    rules,
    programs: groupIntoPrograms(env, rules),
    duplicates,
    refs,
    anomaly: {
      alpha: anomaly.alpha ?? DEFAULT_ANOMALY.alpha,
      deviations: anomaly.deviations ?? DEFAULT_ANOMALY.deviations,
      minDrop: anomaly.min_drop ?? DEFAULT_ANOMALY.minDrop,
      minRecords: anomaly.min_records ?? DEFAULT_ANOMALY.minRecords,
      minWindows: anomaly.min_windows ?? DEFAULT_ANOMALY.minWindows,
    },
    digest: hash('sha256', JSON.stringify(document)),
  };
}

/** Consecutive compiled rules share a program, so a record runs one generated function for most rule sets. */
function groupIntoPrograms(env: CelEnvironments, rules: CelRule[]): (RuleProgram | CelRule)[] {
  const groups: (RuleProgram | CelRule)[] = [];
  let batch: CelRule[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const members = batch;
    const run = generateProgram(
      env.rules,
      members.map((r) => ({ check: r.check.ast!, ...(r.when ? { when: r.when.ast! } : {}) })),
      new Set(RULE_VARIABLE_NAMES),
    );
    groups.push({ rules: members, run });
    batch = [];
  };
  for (const rule of rules) {
    if (rule.check.ast && (!rule.when || rule.when.ast)) {
      batch.push(rule);
      if (batch.length === PROGRAM_RULES) flush();
    } else {
      flush();
      groups.push(rule);
    }
  }
  flush();
  return groups;
}

function base(rule: ValidationRule): RuleBase {
  const bySource = rule.severity_by_source;
  return {
    id: rule.id,
    kind: rule.kind,
    ...(rule.field ? { field: rule.field } : {}),
    severity: rule.severity ?? 'error',
    ...(bySource && Object.keys(bySource).length > 0
      ? { bySource: new Map(Object.entries(bySource) as [string, SourceSeverity][]) }
      : {}),
  };
}

function compileCelRule(env: CelEnvironments, rule: ValidationRule): CelRule {
  const kind = kindExpression(rule);
  const check = compileExpression(env.rules, kind.check, RULE_VARIABLE_NAMES);
  if (check.type !== 'bool' && check.type !== 'dyn')
    throw new RuleDefinitionError(`the expression must be a bool, it is a ${check.type}`);
  const expectedText = rule.expected ?? kind.expected;
  const actualText = rule.actual ?? kind.actual;
  return {
    ...base(rule),
    cel: kind.check,
    check,
    ...(rule.when ? { when: compileExpression(env.rules, rule.when, RULE_VARIABLE_NAMES) } : {}),
    ...(expectedText ? { expected: compileExpression(env.rules, expectedText, RULE_VARIABLE_NAMES) } : {}),
    ...(actualText ? { actual: compileExpression(env.rules, actualText, RULE_VARIABLE_NAMES) } : {}),
    message: MessageTemplate.compile(env.messages, rule.message ?? kind.message),
  };
}

function compileDuplicate(rule: ValidationRule): DuplicateRule {
  const common = base(rule);
  if (rule.by === 'id') {
    // a second message with a known id cannot pass: its transaction already has a verdict
    if (common.severity !== 'error' || common.bySource)
      throw new RuleDefinitionError(
        'a duplicate id always quarantines: severity must be error for every source',
      );
    if (rule.window !== undefined)
      throw new RuleDefinitionError('ids are remembered for good: a window applies to by: content only');
    return {
      ...common,
      by: 'id',
      fields: [],
      seed: [0, 0],
      message: rule.message ?? 'transaction_id {actual} was already validated',
    };
  }
  if (!rule.fields || !rule.window)
    throw new RuleDefinitionError('a content duplicate rule needs fields and a window');
  // fingerprints read fields without an own-property check, so no step may be a name a prototype defines
  const inherited = rule.fields
    .flatMap((f) => f.split('.'))
    .filter((step) => step in Object.prototype || step in Array.prototype);
  if (inherited.length > 0)
    throw new RuleDefinitionError(`fields cannot use the reserved names ${inherited.join(', ')}`);
  return {
    ...common,
    by: 'content',
    fields: rule.fields.map((f) => f.split('.')),
    seed: fingerprintSeed(rule.id),
    windowMs: parseDurationMs(rule.window),
    message: rule.message ?? 'same content as transaction {expected} within ' + rule.window,
  };
}
