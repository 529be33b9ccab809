// Each document kind compiled by the code its service runs when the document arrives, so the operator refuses
// exactly what the service would refuse. A compiler returns the problems, each naming its rule; none means it
// would be applied.
import {
  PolicyError as AlertingPolicyError,
  compilePolicy as compileAlertingPolicy,
} from '@vigil/alerting/alerting-policy';
import type { RuleSet, ScoringPolicy } from '@vigil/contracts';
import { loadModels, type FraudModel } from '@vigil/scorer/model-artifact';
import {
  PolicyError as ScoringPolicyError,
  compilePolicy as compileScoringPolicy,
} from '@vigil/scorer/scoring-policy';
import { RuleSetError, compileRuleSet } from '@vigil/validator/rule-set-compiler';

export type DocumentCompiler = (document: unknown) => string[];

export interface DocumentCompilers {
  ValidationRuleSet: DocumentCompiler;
  ScoringPolicy: DocumentCompiler;
  AlertPolicy: DocumentCompiler;
}

/** Runs `compile`; an error of the service's own refusal type becomes the problems it lists. */
function problemsOf(compile: () => unknown, refusal: (error: unknown) => string[] | undefined): string[] {
  try {
    compile();
    return [];
  } catch (error) {
    const problems = refusal(error);
    if (problems) return problems;
    throw error;
  }
}

/** `models`: the scorer's installed models, by version (a policy naming another one is refused). */
export function documentCompilers(models: ReadonlyMap<string, FraudModel>): DocumentCompilers {
  return {
    ValidationRuleSet: (document) =>
      problemsOf(
        () => compileRuleSet(document as RuleSet, 'candidate'),
        (error) => (error instanceof RuleSetError ? error.problems : undefined),
      ),
    ScoringPolicy: (document) =>
      problemsOf(
        () => compileScoringPolicy(document as ScoringPolicy, 0, models),
        (error) => (error instanceof ScoringPolicyError ? [error.message] : undefined),
      ),
    AlertPolicy: (document) =>
      problemsOf(
        () => compileAlertingPolicy(document, 0, {}),
        (error) => (error instanceof AlertingPolicyError ? [error.message] : undefined),
      ),
  };
}

/** The models the scorer image installs (services/scorer/models), which the operator image carries too. */
export const loadScorerModels = (dir: string): Promise<Map<string, FraudModel>> => loadModels(dir);
