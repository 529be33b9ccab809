// A scoring policy compiled for use: CEL rules parsed once, models resolved by version. Compiling
// throws on anything unusable, so a bad document is refused before it replaces the running one.
import { parse } from '@marcbachmann/cel-js';
import type { ScoringPolicy, Transaction } from '@vigil/contracts';
import type { FeatureName } from '../features/features.js';
import type { FraudModel } from '../model/model-artifact.js';

export type Decision = 'approve' | 'review' | 'block';

export interface CompiledRule {
  id: string;
  score: number;
  message: string;
  fires(context: RuleContext): boolean;
}

export interface RuleContext {
  tx: Transaction;
  f: Record<FeatureName, number>;
}

export interface CompiledPolicy {
  version: number;
  model: FraudModel;
  shadowModel?: FraudModel;
  review: number;
  block: number;
  rules: CompiledRule[];
}

export class PolicyError extends Error {
  override name = 'PolicyError';
}

export function compilePolicy(
  policy: ScoringPolicy,
  version: number,
  models: ReadonlyMap<string, FraudModel>,
): CompiledPolicy {
  const model = models.get(policy.model);
  if (!model)
    throw new PolicyError(`model ${policy.model} is not installed (have: ${[...models.keys()].join(', ')})`);
  const shadowModel = policy.shadow_model === undefined ? undefined : models.get(policy.shadow_model);
  if (policy.shadow_model !== undefined && !shadowModel) {
    throw new PolicyError(`shadow model ${policy.shadow_model} is not installed`);
  }
  if (policy.thresholds.review > policy.thresholds.block) {
    throw new PolicyError(
      `thresholds.review (${policy.thresholds.review}) must not exceed thresholds.block (${policy.thresholds.block})`,
    );
  }
  return {
    version,
    model,
    ...(shadowModel ? { shadowModel } : {}),
    review: policy.thresholds.review,
    block: policy.thresholds.block,
    rules: compileRules(policy.rules),
  };
}

/**
 * The CEL rules of a scoring policy, parsed once. The scorer and the rule backtest both compile rules here,
 * so a rule fires in a backtest exactly when it would have fired in the scorer.
 */
export function compileRules(rules: ScoringPolicy['rules']): CompiledRule[] {
  const ids = new Set<string>();
  return rules.map((rule): CompiledRule => {
    if (ids.has(rule.id)) throw new PolicyError(`rule ${rule.id} is defined twice`);
    ids.add(rule.id);
    let evaluate: (context: RuleContext) => unknown;
    try {
      evaluate = parse(rule.expression);
    } catch (error) {
      throw new PolicyError(`rule ${rule.id}: ${(error as Error).message.split('\n')[0]}`);
    }
    return {
      id: rule.id,
      score: rule.score,
      message: rule.message,
      // a rule that cannot be evaluated on a record (a missing field, a type mismatch) does not fire
      fires: (context) => {
        try {
          return evaluate(context) === true;
        } catch {
          return false;
        }
      },
    };
  });
}

export function decide(score: number, policy: Pick<CompiledPolicy, 'review' | 'block'>): Decision {
  if (score >= policy.block) return 'block';
  if (score >= policy.review) return 'review';
  return 'approve';
}
