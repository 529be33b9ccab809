// The reconciliation report: how many accepted transactions reached each stage, and which are missing.
import { ApiProperty } from '@nestjs/swagger';
import { InvalidParameterException } from '../http/problem.js';
import { limitOf, onlyKnownParameters, single, timestampOf } from '../http/query.js';

export const RECONCILIATION_DEFAULTS = {
  /** Looked back from `to` when `from` is not given. */
  spanMs: 3_600_000,
  /** Longest range one call may count: the cost of a call stays bounded. */
  maxSpanMs: 86_400_000,
  graceSeconds: 300,
  maxGraceSeconds: 86_400,
  limit: 100,
  maxLimit: 1_000,
} as const;

export interface ReconciliationQuery {
  from?: string;
  to?: string;
  graceSeconds: number;
  limit: number;
}

/** One parser for the HTTP query and the CLI's flags, so both refuse the same input with the same words. */
export function parseReconciliationQuery(query: unknown): ReconciliationQuery {
  const raw = onlyKnownParameters(query, ['from', 'to', 'grace_seconds', 'limit']);
  const from = timestampOf(raw, 'from');
  const to = timestampOf(raw, 'to');
  if (from && to) {
    const span = Date.parse(to) - Date.parse(from);
    if (span <= 0) throw new InvalidParameterException('from', 'from must be before to');
    if (span > RECONCILIATION_DEFAULTS.maxSpanMs)
      throw new InvalidParameterException('from', 'from and to may be at most 24 hours apart');
  }
  const graceText = single(raw, 'grace_seconds');
  const graceSeconds = graceText === undefined ? RECONCILIATION_DEFAULTS.graceSeconds : Number(graceText);
  if (
    graceText !== undefined &&
    !(/^[0-9]{1,6}$/.test(graceText) && graceSeconds <= RECONCILIATION_DEFAULTS.maxGraceSeconds)
  )
    throw new InvalidParameterException(
      'grace_seconds',
      `grace_seconds must be an integer from 0 to ${RECONCILIATION_DEFAULTS.maxGraceSeconds}`,
    );
  return {
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    graceSeconds,
    limit: limitOf(raw, RECONCILIATION_DEFAULTS.maxLimit, RECONCILIATION_DEFAULTS.limit),
  };
}

export class ReconciliationStagesDto {
  @ApiProperty({ type: Number, description: 'Rows in ingest.transactions received in the range' })
  accepted!: number;

  @ApiProperty({ type: Number, description: 'Of those, with a verdict in validator.results' })
  validated!: number;

  @ApiProperty({ type: Number })
  valid!: number;

  @ApiProperty({ type: Number })
  quarantined!: number;

  @ApiProperty({ type: Number, description: 'Of those, with a row in scorer.scores' })
  scored!: number;
}

export class MissingTransactionDto {
  @ApiProperty({ type: String })
  transaction_id!: string;

  @ApiProperty({
    type: String,
    enum: ['validator', 'scorer'],
    description: 'The stage that has not recorded it',
  })
  stuck_at!: 'validator' | 'scorer';

  @ApiProperty({ type: String, format: 'date-time' })
  received_at!: string;

  @ApiProperty({ type: String })
  source!: string;

  @ApiProperty({ type: String, nullable: true })
  partner_id!: string | null;

  @ApiProperty({ type: String, nullable: true })
  region!: string | null;
}

export class ReconciliationDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'received_at >= from' })
  from!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'received_at < to' })
  to!: string;

  @ApiProperty({ type: Number, description: 'Ids younger than this are in flight, not missing' })
  grace_seconds!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  checked_at!: string;

  @ApiProperty({ type: ReconciliationStagesDto })
  stages!: ReconciliationStagesDto;

  @ApiProperty({ type: Number, description: 'Neither scored nor quarantined, within the grace period' })
  in_flight!: number;

  @ApiProperty({
    type: Number,
    description: 'Neither scored nor quarantined after the grace period: lost or stuck',
  })
  missing!: number;

  @ApiProperty({
    type: 'object',
    properties: { validator: { type: 'number' }, scorer: { type: 'number' } },
    description: 'Missing ids by the stage that has not recorded them',
  })
  missing_by_stage!: { validator: number; scorer: number };

  @ApiProperty({ type: [MissingTransactionDto], description: 'Oldest first, at most limit' })
  missing_ids!: MissingTransactionDto[];

  @ApiProperty({ type: Boolean, description: 'true when more ids are missing than listed' })
  missing_ids_truncated!: boolean;

  @ApiProperty({
    type: String,
    description:
      'Where dead letters are: deadletter.<durable> in the DEAD_LETTERS stream (not in Postgres, so not counted here)',
  })
  dead_letters!: string;
}
