// The shadow-against-active comparison: its query (a window of scoring time and an alert budget) and its answer.
import { ApiProperty } from '@nestjs/swagger';
import { InvalidParameterException } from '../http/problem.js';
import { integerOf, onlyKnownParameters, timestampOf } from '../http/query.js';

export const COMPARISON_LIMITS = {
  /** Longest window one call may read: the statement's cost stays bounded by the index range. */
  maxSpanMs: 31 * 86_400_000,
  budget: 100,
  maxBudget: 10_000,
} as const;

export const DECISIONS = ['approve', 'review', 'block'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface ComparisonQuery {
  from: Date;
  to: Date;
  budget: number;
}

export function parseComparisonQuery(query: unknown): ComparisonQuery {
  const raw = onlyKnownParameters(query, ['from', 'to', 'budget']);
  const from = timestampOf(raw, 'from');
  if (from === undefined) throw new InvalidParameterException('from', 'from is required');
  const to = timestampOf(raw, 'to');
  if (to === undefined) throw new InvalidParameterException('to', 'to is required');
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw new InvalidParameterException('from', 'from must be before to');
  if (span > COMPARISON_LIMITS.maxSpanMs)
    throw new InvalidParameterException('to', 'from and to may be at most 31 days apart');
  return {
    from: new Date(from),
    to: new Date(to),
    budget: integerOf(raw, 'budget', 1, COMPARISON_LIMITS.maxBudget, COMPARISON_LIMITS.budget),
  };
}

export class DecisionCountsDto {
  @ApiProperty({ type: Number })
  approve!: number;

  @ApiProperty({ type: Number })
  review!: number;

  @ApiProperty({ type: Number })
  block!: number;
}

export class ConfusionDto {
  @ApiProperty({
    type: DecisionCountsDto,
    description: 'Scores the active policy approved, by shadow decision',
  })
  approve!: DecisionCountsDto;

  @ApiProperty({
    type: DecisionCountsDto,
    description: 'Sent to review by the active policy, by shadow decision',
  })
  review!: DecisionCountsDto;

  @ApiProperty({ type: DecisionCountsDto, description: 'Blocked by the active policy, by shadow decision' })
  block!: DecisionCountsDto;
}

export class ModelQualityDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Labelled scores it sent to review or block that are fraud, over those it sent (null if none)',
  })
  precision!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Labelled fraud it sent to review or block, over all labelled fraud (null without fraud)',
  })
  recall!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Share of fraud among its top `budget` labelled scores (all of them when fewer); a group of equal scores ' +
      'across the cut counts in proportion (null without labels)',
  })
  precision_at_budget!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Average precision of its scores over the labelled ones, equal scores ranked as one group',
  })
  average_precision!: number | null;
}

export class ModelOpinionDto {
  @ApiProperty({ type: String })
  model_version!: string;

  @ApiProperty({ type: Number, description: 'Scores it would send to review' })
  review!: number;

  @ApiProperty({ type: Number, description: 'Scores it would block' })
  block!: number;

  @ApiProperty({ type: Number })
  mean_score!: number;

  @ApiProperty({ type: ModelQualityDto, description: 'On the labelled scores' })
  labelled!: ModelQualityDto;
}

export class LabelCountsDto {
  @ApiProperty({ type: Number, description: 'Compared scores with a current label' })
  scores!: number;

  @ApiProperty({ type: Number, description: 'Of those, labelled fraud' })
  fraud!: number;
}

export class ModelComparisonDto {
  @ApiProperty({ type: Number, description: 'Scores in the window carrying both opinions' })
  scores!: number;

  @ApiProperty({ type: Number, description: 'Share of those on which both models took the same decision' })
  agreement_rate!: number;

  @ApiProperty({ type: ConfusionDto, description: 'Rows: the active decision; columns: the shadow decision' })
  decisions!: ConfusionDto;

  @ApiProperty({ type: LabelCountsDto })
  labels!: LabelCountsDto;

  @ApiProperty({
    type: ModelOpinionDto,
    description: "The policy's verdict: the active model with the policy's rules (what was acted on)",
  })
  active!: ModelOpinionDto;

  @ApiProperty({
    type: ModelOpinionDto,
    description: "The shadow model's score alone, decided with the same policy's thresholds",
  })
  shadow!: ModelOpinionDto;
}

export class ModelComparisonReportDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'scored_at >= from' })
  from!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'scored_at < to' })
  to!: string;

  @ApiProperty({
    type: Number,
    description: 'Alerts a model may raise in the window, for precision_at_budget',
  })
  budget!: number;

  @ApiProperty({
    type: [ModelComparisonDto],
    description:
      'One per (active model, shadow model) pair that scored in the window, most scores first; empty when no ' +
      'shadow model was in the policy',
  })
  comparisons!: ModelComparisonDto[];
}

const quality = (precision: number, recall: number, atBudget: number, ap: number): ModelQualityDto => ({
  precision,
  recall,
  precision_at_budget: atBudget,
  average_precision: ap,
});

/** The OpenAPI example: a candidate that flags less and finds more. */
export const COMPARISON_EXAMPLE: ModelComparisonReportDto = {
  from: '2026-03-01T00:00:00.000Z',
  to: '2026-03-02T00:00:00.000Z',
  budget: 100,
  comparisons: [
    {
      scores: 48_210,
      agreement_rate: 0.9871,
      decisions: {
        approve: { approve: 47_012, review: 141, block: 12 },
        review: { approve: 390, review: 402, block: 31 },
        block: { approve: 8, review: 40, block: 174 },
      },
      labels: { scores: 1_204, fraud: 233 },
      active: {
        model_version: 'gbdt-c68ba30f232e',
        review: 823,
        block: 222,
        mean_score: 0.0412,
        labelled: quality(0.4012, 0.8541, 0.62, 0.7133),
      },
      shadow: {
        model_version: 'gbdt-5d1e08a9b7c4',
        review: 583,
        block: 217,
        mean_score: 0.0387,
        labelled: quality(0.5507, 0.8927, 0.71, 0.7804),
      },
    },
  ],
};
