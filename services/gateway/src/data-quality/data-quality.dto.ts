// The data-quality API: per-minute windows of validator verdicts, and schema drift per source.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { checkRange, limitOf, onlyKnownParameters, regionOf, textOf, timestampOf } from '../http/query.js';

export class DataQualityWindowDto {
  @ApiProperty({ type: String, format: 'date-time' })
  window_start!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  window_end!: string;

  @ApiProperty({ type: String, example: 'api' })
  source!: string;

  @ApiProperty({ type: String, example: 'NG', description: 'XX for records without a valid region' })
  region!: string;

  @ApiProperty({ type: Number, description: 'Records judged in the window' })
  records!: number;

  @ApiProperty({ type: Number, description: 'Passed (valid, with or without warnings)' })
  passed!: number;

  @ApiProperty({ type: Number, description: 'Passed with warnings' })
  warned!: number;

  @ApiProperty({ type: Number })
  quarantined!: number;

  @ApiProperty({ type: Number, minimum: 0, maximum: 1 })
  pass_rate!: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { 'region.currency': 3, 'balance.origin': 12 },
    description: 'Failures by rule id (errors and warnings)',
  })
  failures!: Record<string, number>;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'The pass rate the window history predicted; null until the window is judged',
  })
  expected_pass_rate!: number | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: 'true when the pass rate fell outside the band',
  })
  anomaly!: boolean | null;
}

export class DataQualityDto {
  @ApiProperty({ type: [DataQualityWindowDto], description: 'Newest window first' })
  windows!: DataQualityWindowDto[];

  @ApiProperty({
    type: 'object',
    properties: {
      records: { type: 'number' },
      passed: { type: 'number' },
      pass_rate: { type: 'number', nullable: true },
    },
    description: 'Over the windows returned',
  })
  totals!: { records: number; passed: number; pass_rate: number | null };
}

export class SchemaDriftDto {
  @ApiProperty({ type: String })
  source!: string;

  @ApiProperty({ type: Number, description: 'Registered schema version; 0 is the transaction contract' })
  schema_version!: number;

  @ApiProperty({ type: String, enum: ['unknown_field', 'type_changed', 'missing_field'] })
  change!: string;

  @ApiProperty({ type: String, example: 'loyalty_tier' })
  field!: string;

  @ApiProperty({ type: String, nullable: true })
  expected!: string | null;

  @ApiProperty({ type: String, nullable: true })
  actual!: string | null;

  @ApiProperty({ type: String, description: 'First record that showed the change' })
  first_transaction_id!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  first_seen!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  last_seen!: string;

  @ApiProperty({ type: Number, description: 'Records that showed it (counted every few seconds)' })
  occurrences!: number;
}

export class SchemaDriftListDto {
  @ApiProperty({ type: [SchemaDriftDto], description: 'Most recently seen first' })
  items!: SchemaDriftDto[];
}

export interface DataQualityFilters {
  source?: string;
  region?: string;
  from?: string;
  to?: string;
  limit: number;
}

export function parseDataQualityFilters(query: unknown): DataQualityFilters {
  const raw = onlyKnownParameters(query, ['source', 'region', 'from', 'to', 'limit']);
  const filters: DataQualityFilters = { limit: limitOf(raw, 1440, 60) };
  const source = textOf(raw, 'source', 64);
  if (source !== undefined) filters.source = source;
  const region = regionOf(raw, ['XX']);
  if (region !== undefined) filters.region = region;
  const from = timestampOf(raw, 'from');
  if (from) filters.from = from;
  const to = timestampOf(raw, 'to');
  if (to) filters.to = to;
  checkRange(from, to);
  return filters;
}

export function parseDriftFilters(query: unknown): { source?: string; limit: number } {
  const raw = onlyKnownParameters(query, ['source', 'limit']);
  const source = textOf(raw, 'source', 64);
  return { limit: limitOf(raw, 500, 100), ...(source !== undefined ? { source } : {}) };
}
