// Reads the scores that carry a shadow model's opinion, from the scorer's tables (read only), already counted:
// decisions per (active, shadow) pair, and for the labelled ones how many scores and how much fraud sit at each
// score. Scores have four decimals, so a pair's labelled rows come back as at most 2 x 10,001 groups however
// many there are. Both statements use the partial index on scored_at and run under a statement timeout.
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { Decision } from './models.dto.js';

// Both statements read the same rows: $1 <= scored_at < $2 with a shadow opinion, in the caller's scope ($3 a
// partner, $4 regions; null is unrestricted). The predicate matches the partial index scores_shadow_scored_at.
const decisionCounts = sql(
  'gateway.model_comparison_decisions',
  `SELECT s.model_version AS active_model,
          s.shadow->>'model_version' AS shadow_model,
          s.decision AS active_decision,
          s.shadow->>'decision' AS shadow_decision,
          count(*)::int AS scores,
          sum(s.score)::float8 AS active_score_sum,
          sum((s.shadow->>'score')::numeric)::float8 AS shadow_score_sum
     FROM scorer.scores s
    WHERE s.shadow IS NOT NULL
      AND s.scored_at >= $1 AND s.scored_at < $2
      AND ($3::text IS NULL OR s.partner_id = $3)
      AND ($4::text[] IS NULL OR s.region = ANY($4))
    GROUP BY 1, 2, 3, 4`,
);

// each labelled score twice: once as the active policy saw it, once as the shadow model did
const labelledHistogram = sql(
  'gateway.model_comparison_labelled',
  `SELECT s.model_version AS active_model,
          s.shadow->>'model_version' AS shadow_model,
          opinion.side,
          opinion.score::float8 AS score,
          opinion.flagged,
          count(*)::int AS scores,
          count(*) FILTER (WHERE l.label = 'fraud')::int AS fraud
     FROM scorer.scores s
     JOIN scorer.labels l ON l.transaction_id = s.transaction_id
    CROSS JOIN LATERAL (VALUES ('active', s.score, s.decision <> 'approve'),
                               ('shadow', (s.shadow->>'score')::numeric, s.shadow->>'decision' <> 'approve'))
          AS opinion (side, score, flagged)
    WHERE s.shadow IS NOT NULL
      AND s.scored_at >= $1 AND s.scored_at < $2
      AND ($3::text IS NULL OR s.partner_id = $3)
      AND ($4::text[] IS NULL OR s.region = ANY($4))
    GROUP BY 1, 2, 3, 4, 5`,
);

export interface DecisionCountRow {
  active_model: string;
  shadow_model: string;
  active_decision: Decision;
  shadow_decision: Decision;
  scores: number;
  active_score_sum: number;
  shadow_score_sum: number;
}

/** Labelled scores of one model of a pair at one score, split by whether that model flagged them. */
export interface LabelledScoreRow {
  active_model: string;
  shadow_model: string;
  side: 'active' | 'shadow';
  score: number;
  /** Sent to review or block. */
  flagged: boolean;
  scores: number;
  fraud: number;
}

export interface ComparisonWindow {
  from: Date;
  to: Date;
  scope: ReadScope;
}

/** How long one comparison statement may run before Postgres cancels it. */
const STATEMENT_TIMEOUT_MS = 30_000;

@Injectable()
export class ModelsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Both statements in one read-only snapshot, so the decision counts and the labelled figures agree. */
  async comparison(
    window: ComparisonWindow,
  ): Promise<{ decisions: DecisionCountRow[]; labelled: LabelledScoreRow[] }> {
    const values = [window.from, window.to, window.scope.partnerId, window.scope.regions];
    return this.db.transaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      const { rows: decisions } = await client.query<DecisionCountRow>(decisionCounts.text, values);
      const { rows: labelled } = await client.query<LabelledScoreRow>(labelledHistogram.text, values);
      return { decisions, labelled };
    });
  }
}
