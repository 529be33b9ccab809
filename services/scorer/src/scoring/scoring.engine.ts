// Turns a validated transaction and its features into the scored event, under the policy in force,
// and measures the compute it took.
import { Inject, Injectable } from '@nestjs/common';
import type { TransactionScored, TransactionValidated } from '@vigil/contracts';
import { OpsServer } from '@vigil/observability';
import { Counter, Histogram } from 'prom-client';
import type { FeatureVector } from '../features/features.js';
import { PolicyService } from '../policy/policy.service.js';
import { assessRisk } from './risk-engine.js';

@Injectable()
export class ScoringEngine {
  private readonly riskScores: Histogram;
  private readonly computeSeconds: Histogram;
  private readonly decisions: Counter<'decision'>;

  constructor(
    @Inject(PolicyService) private readonly policies: PolicyService,
    @Inject(OpsServer) ops: OpsServer,
  ) {
    this.riskScores = new Histogram({
      name: 'vigil_risk_score',
      help: 'Distribution of risk scores',
      buckets: [0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95],
      registers: [ops.registry],
    });
    this.computeSeconds = new Histogram({
      name: 'vigil_scorer_compute_seconds',
      help: 'Model, rules and decision per transaction, features excluded',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers: [ops.registry],
    });
    this.decisions = new Counter({
      name: 'vigil_scorer_decisions_total',
      help: 'Scored transactions by decision',
      labelNames: ['decision'],
      registers: [ops.registry],
    });
  }

  score(validated: TransactionValidated, features: FeatureVector): TransactionScored {
    const started = process.hrtime.bigint();
    const verdict = assessRisk(validated.transaction, features, this.policies.current());
    this.computeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.riskScores.observe(verdict.score);
    this.decisions.inc({ decision: verdict.decision });
    return {
      transaction: validated.transaction,
      score: verdict.score,
      reasons: verdict.reasons,
      scored_at: new Date().toISOString(),
      model_version: verdict.modelVersion,
      decision: verdict.decision,
      policy_version: verdict.policyVersion,
      ...(verdict.shadow ? { shadow: verdict.shadow } : {}),
    };
  }
}
