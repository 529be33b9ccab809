// The shadow model against the active one on the same traffic: what each decided, how often they agreed, and on
// the labelled scores how well each one's ranking and threshold found the fraud.
import { Inject, Injectable } from '@nestjs/common';
import { readScopeOf, type Principal } from '../auth/principal.js';
import {
  DECISIONS,
  type ComparisonQuery,
  type ConfusionDto,
  type ModelComparisonDto,
  type ModelComparisonReportDto,
  type ModelQualityDto,
} from './models.dto.js';
import { ModelsRepository, type DecisionCountRow, type LabelledScoreRow } from './models.repository.js';

/** Labelled scores of one model at one score. */
export interface ScoreGroup {
  score: number;
  scores: number;
  fraud: number;
}

/**
 * Share of fraud among the `budget` highest scores (all of them when fewer). Equal scores have no order, so a
 * group the cut runs through contributes its fraud in proportion to the part of it that fits.
 */
export function precisionAtBudget(groups: readonly ScoreGroup[], budget: number): number | null {
  const total = groups.reduce((sum, g) => sum + g.scores, 0);
  const alerts = Math.min(budget, total);
  if (alerts === 0) return null;
  let taken = 0;
  let found = 0;
  for (const group of [...groups].sort((a, b) => b.score - a.score)) {
    const part = Math.min(group.scores, alerts - taken);
    found += (group.fraud * part) / group.scores;
    taken += part;
    if (taken === alerts) break;
  }
  return found / alerts;
}

/** Average precision, equal scores ranked as one group (scikit-learn's average_precision_score); null without fraud. */
export function averagePrecision(groups: readonly ScoreGroup[]): number | null {
  const fraud = groups.reduce((sum, g) => sum + g.fraud, 0);
  if (fraud === 0) return null;
  let seen = 0;
  let found = 0;
  let area = 0;
  for (const group of [...groups].sort((a, b) => b.score - a.score)) {
    seen += group.scores;
    found += group.fraud;
    area += group.fraud * (found / seen);
  }
  return area / fraud;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** One model's labelled figures from its rows of the labelled histogram. */
export function qualityOf(rows: readonly LabelledScoreRow[], budget: number): ModelQualityDto {
  const byScore = new Map<number, ScoreGroup>();
  let fraud = 0;
  let flagged = 0;
  let flaggedFraud = 0;
  for (const row of rows) {
    const group = byScore.get(row.score) ?? { score: row.score, scores: 0, fraud: 0 };
    group.scores += row.scores;
    group.fraud += row.fraud;
    byScore.set(row.score, group);
    fraud += row.fraud;
    if (row.flagged) {
      flagged += row.scores;
      flaggedFraud += row.fraud;
    }
  }
  const groups = [...byScore.values()];
  return {
    precision: ratio(flaggedFraud, flagged),
    recall: ratio(flaggedFraud, fraud),
    precision_at_budget: precisionAtBudget(groups, budget),
    average_precision: averagePrecision(groups),
  };
}

const emptyConfusion = (): ConfusionDto => ({
  approve: { approve: 0, review: 0, block: 0 },
  review: { approve: 0, review: 0, block: 0 },
  block: { approve: 0, review: 0, block: 0 },
});

interface Pair {
  active: string;
  shadow: string;
  decisions: DecisionCountRow[];
  labelled: LabelledScoreRow[];
}

@Injectable()
export class ModelsService {
  constructor(@Inject(ModelsRepository) private readonly repository: ModelsRepository) {}

  async comparison(principal: Principal, query: ComparisonQuery): Promise<ModelComparisonReportDto> {
    const { decisions, labelled } = await this.repository.comparison({
      from: query.from,
      to: query.to,
      scope: readScopeOf(principal),
    });
    const pairs = new Map<string, Pair>();
    const pairOf = (row: { active_model: string; shadow_model: string }): Pair => {
      const key = JSON.stringify([row.active_model, row.shadow_model]);
      let pair = pairs.get(key);
      if (!pair) {
        pair = { active: row.active_model, shadow: row.shadow_model, decisions: [], labelled: [] };
        pairs.set(key, pair);
      }
      return pair;
    };
    for (const row of decisions) pairOf(row).decisions.push(row);
    for (const row of labelled) pairOf(row).labelled.push(row);
    return {
      from: query.from.toISOString(),
      to: query.to.toISOString(),
      budget: query.budget,
      comparisons: [...pairs.values()]
        .map((pair) => compare(pair, query.budget))
        .sort((a, b) => b.scores - a.scores || a.active.model_version.localeCompare(b.active.model_version)),
    };
  }
}

function compare(pair: Pair, budget: number): ModelComparisonDto {
  const decisions = emptyConfusion();
  let scores = 0;
  let agreed = 0;
  let activeSum = 0;
  let shadowSum = 0;
  for (const row of pair.decisions) {
    decisions[row.active_decision][row.shadow_decision] += row.scores;
    scores += row.scores;
    if (row.active_decision === row.shadow_decision) agreed += row.scores;
    activeSum += row.active_score_sum;
    shadowSum += row.shadow_score_sum;
  }
  const sent = (side: 'active' | 'shadow', decision: 'review' | 'block') =>
    DECISIONS.reduce(
      (sum, other) => sum + (side === 'active' ? decisions[decision][other] : decisions[other][decision]),
      0,
    );
  const activeLabelled = pair.labelled.filter((row) => row.side === 'active');
  return {
    scores,
    agreement_rate: agreed / scores,
    decisions,
    labels: {
      scores: activeLabelled.reduce((sum, row) => sum + row.scores, 0),
      fraud: activeLabelled.reduce((sum, row) => sum + row.fraud, 0),
    },
    active: {
      model_version: pair.active,
      review: sent('active', 'review'),
      block: sent('active', 'block'),
      mean_score: activeSum / scores,
      labelled: qualityOf(activeLabelled, budget),
    },
    shadow: {
      model_version: pair.shadow,
      review: sent('shadow', 'review'),
      block: sent('shadow', 'block'),
      mean_score: shadowSum / scores,
      labelled: qualityOf(
        pair.labelled.filter((row) => row.side === 'shadow'),
        budget,
      ),
    },
  };
}
