// Features in, verdict out: the acting model's probability combined with every CEL rule that fires,
// a decision from the policy thresholds, the top reasons, and the shadow model's opinion alongside.
import type { Reason, Transaction } from '@vigil/contracts';
import { featureRecord, type FeatureName, type FeatureVector } from '../features/features.js';
import { REASONS } from '../features/reasons.js';
import { decide, type CompiledPolicy, type Decision } from '../policy/scoring-policy.js';

export interface RiskVerdict {
  score: number;
  decision: Decision;
  reasons: Reason[];
  modelVersion: string;
  policyVersion: number;
  shadow?: { model_version: string; score: number; decision: Decision };
}

const TOP_REASONS = 3;
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export function assessRisk(
  transaction: Transaction,
  features: FeatureVector,
  policy: CompiledPolicy,
): RiskVerdict {
  const modelScore = policy.model.probability(features);
  const reasons: Reason[] = [];
  let clean = 1 - modelScore;
  if (policy.rules.length > 0) {
    const context = { tx: transaction, f: featureRecord(features) };
    for (const rule of policy.rules) {
      if (!rule.fires(context)) continue;
      clean *= 1 - rule.score;
      reasons.push({ code: rule.id, message: rule.message, weight: rule.score });
    }
  }
  const score = round4(1 - clean);
  const decision = decide(score, policy);
  if (decision !== 'approve') reasons.push(...modelReasons(policy, features));
  const verdict: RiskVerdict = {
    score,
    decision,
    reasons,
    modelVersion: policy.model.version,
    policyVersion: policy.version,
  };
  if (policy.shadowModel) {
    const shadowScore = round4(policy.shadowModel.probability(features));
    verdict.shadow = {
      model_version: policy.shadowModel.version,
      score: shadowScore,
      decision: decide(shadowScore, policy),
    };
  }
  return verdict;
}

/** The features that pushed this model's score up the most, as reason codes. */
function modelReasons(policy: CompiledPolicy, features: FeatureVector): Reason[] {
  const byFeature = policy.model.contributions(features);
  return [...byFeature.entries()]
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_REASONS)
    .map(([name]) => {
      const reason = REASONS[name as FeatureName];
      return { code: reason.code, message: reason.message, ...(reason.field ? { field: reason.field } : {}) };
    });
}
