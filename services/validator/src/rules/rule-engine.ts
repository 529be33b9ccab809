// Judges one record against a compiled rule set: schema conformity first, then every rule in order.
// This is the per-record hot path: it allocates a context and, only for failing rules, their reasons.
import { compile, transactionSchema, type Reason, type Transaction } from '@vigil/contracts';
import type { CelContext } from './cel/cel-compiler.js';
import { contentFingerprint } from './fingerprint.js';
import {
  severityFor,
  type CelRule,
  type CompiledRuleSet,
  type DuplicateRule,
  type Severity,
} from './rule-set.compiler.js';

export type Verdict =
  | { status: 'valid'; transaction: Transaction; warnings: Reason[] }
  | { status: 'quarantined'; reasons: Reason[] };

/** A content fingerprint to look up in the shared window: only the window knows whether it is a duplicate. */
export interface ContentClaim {
  rule: DuplicateRule;
  severity: Severity;
  /** The 64-bit fingerprint as two unsigned 32-bit halves; fingerprintKey() gives its text form. */
  high: number;
  low: number;
}

export { fingerprintKey } from './fingerprint.js';

export interface Judgement {
  verdict: Verdict;
  /** The rule set version that judged the record. */
  ruleSetVersion: string;
  /** Content fingerprints to claim; empty for a record that broke the schema. */
  claims: ContentClaim[];
  /** The duplicate-id rule, when the rule set has one. */
  idRule: DuplicateRule | undefined;
  /** Counted per rule in the data-quality windows: every rule that failed, whatever its severity. */
  failedRules: string[];
  /** Whether the record conforms to the transaction schema (the rules ran only if it does). */
  conforms: boolean;
}

const conformsToSchema = compile<Transaction>(transactionSchema);
const NO_CLAIMS: ContentClaim[] = [];
const NO_REASONS: Reason[] = [];
const NO_RULES: string[] = [];

interface Failures {
  errors?: Reason[];
  warnings?: Reason[];
  rules: string[];
}

function fail(
  failures: Failures | undefined,
  rule: CelRule,
  ctx: CelContext,
  failure: Error | undefined,
): Failures | undefined {
  const severity = rule.bySource ? severityFor(rule, ctx.source) : rule.severity;
  if (severity === 'off') return failures;
  const found = failures ?? { rules: [] };
  const reason = reasonFor(rule, severity, ctx, failure);
  if (severity === 'error') (found.errors ??= []).push(reason);
  else (found.warnings ??= []).push(reason);
  found.rules.push(rule.id);
  return found;
}

export class RuleEngine {
  private readonly idRule?: DuplicateRule;
  private readonly contentRules: DuplicateRule[];

  constructor(readonly ruleSet: CompiledRuleSet) {
    this.idRule = ruleSet.duplicates.find((r) => r.by === 'id');
    this.contentRules = ruleSet.duplicates.filter((r) => r.by === 'content');
  }

  judge(record: unknown, source: string, receivedAt: Date): Judgement {
    const version = this.ruleSet.version;
    if (!conformsToSchema(record)) {
      const reasons = conformsToSchema.reasons();
      return {
        verdict: { status: 'quarantined', reasons },
        ruleSetVersion: version,
        claims: NO_CLAIMS,
        idRule: this.idRule,
        failedRules: reasons.map((r) => r.code),
        conforms: false,
      };
    }
    const ctx: CelContext = { record, source, refs: this.ruleSet.refs, received_at: receivedAt };
    // allocated only when a rule fails: most records pass every rule
    let failures: Failures | undefined;
    const programs = this.ruleSet.programs;
    for (let g = 0; g < programs.length; g++) {
      const group = programs[g]!;
      if ('run' in group) {
        let failed: number;
        try {
          failed = group.run(ctx);
        } catch {
          // an error in one of the rules: evaluate them one by one, under CEL's rules for errors
          for (const rule of group.rules) {
            const outcome = evaluateRule(rule, ctx);
            if (outcome !== PASSED)
              failures = fail(failures, rule, ctx, outcome === FAILED ? undefined : outcome);
          }
          continue;
        }
        if (failed === 0) continue;
        for (let i = 0; i < group.rules.length; i++)
          if (failed & (1 << i)) failures = fail(failures, group.rules[i]!, ctx, undefined);
      } else {
        const outcome = evaluateRule(group, ctx);
        if (outcome !== PASSED)
          failures = fail(failures, group, ctx, outcome === FAILED ? undefined : outcome);
      }
    }
    const claims = this.contentRules.length === 0 ? NO_CLAIMS : this.claimsFor(record, source);
    return {
      // warnings of a record held back for errors stay out of its reasons: the errors are what to fix
      verdict: failures?.errors
        ? { status: 'quarantined', reasons: failures.errors }
        : { status: 'valid', transaction: record, warnings: failures?.warnings ?? NO_REASONS },
      ruleSetVersion: version,
      claims,
      idRule: this.idRule,
      failedRules: failures?.rules ?? NO_RULES,
      conforms: true,
    };
  }

  private claimsFor(record: Transaction, source: string): ContentClaim[] {
    const claims: ContentClaim[] = [];
    for (const rule of this.contentRules) {
      const severity = rule.bySource ? severityFor(rule, source) : rule.severity;
      if (severity === 'off') continue;
      const claim: ContentClaim = { rule, severity, high: 0, low: 0 };
      contentFingerprint(rule, record, claim);
      claims.push(claim);
    }
    return claims;
  }
}

const PASSED = Symbol('passed');
const FAILED = Symbol('failed');

/** PASSED, FAILED, or the error that kept the rule from being evaluated (which also fails it). */
function evaluateRule(rule: CelRule, ctx: CelContext): typeof PASSED | typeof FAILED | Error {
  try {
    if (rule.when && rule.when.evaluate(ctx) !== true) return PASSED;
    return rule.check.evaluate(ctx) === true ? PASSED : FAILED;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function reasonFor(rule: CelRule, severity: Severity, ctx: CelContext, failure: Error | undefined): Reason {
  const expected = evaluateText(rule.expected, ctx);
  const actual = evaluateText(rule.actual, ctx);
  let message: string;
  if (failure === undefined) {
    // placeholders see the rendered texts: a decimal shows as 9874.5, not as its scaled integer
    message = rule.message.render({ ...ctx, expected: expected?.text, actual: actual?.text });
  } else {
    message = `${rule.id} could not be evaluated: ${failure.message.split('\n')[0]}`;
  }
  return {
    code: rule.id,
    ...(rule.field ? { field: rule.field } : {}),
    message,
    severity,
    ...(expected ? { expected: expected.text } : {}),
    ...(actual ? { actual: actual.text } : {}),
  };
}

function evaluateText(expression: CelRule['expected'], ctx: CelContext): { text: string } | undefined {
  if (!expression) return undefined;
  try {
    return { text: expression.render(expression.evaluate(ctx)) };
  } catch {
    return undefined;
  }
}
