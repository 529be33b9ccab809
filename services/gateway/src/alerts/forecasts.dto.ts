import { ApiProperty } from '@nestjs/swagger';
import { onlyKnownParameters, single, textOf } from '../http/query.js';
import { InvalidParameterException } from '../http/problem.js';

export class ForecastPointDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the interval' })
  bucket_start!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'null for an interval still to come' })
  actual!: number | null;

  @ApiProperty({ type: Number })
  forecast!: number;

  @ApiProperty({ type: Number, description: 'Lower end of the prediction interval' })
  lower!: number;

  @ApiProperty({ type: Number, description: 'Upper end of the prediction interval' })
  upper!: number;
}

export class ForecastSeriesDto {
  @ApiProperty({ type: String, example: 'region:KE:count' })
  series_id!: string;

  @ApiProperty({ type: String, enum: ['region', 'merchant_category', 'transaction_type', 'channel'] })
  dimension!: string;

  @ApiProperty({ type: String, example: 'KE' })
  value!: string;

  @ApiProperty({ type: String, enum: ['count', 'amount'] })
  metric!: string;

  @ApiProperty({ type: String, nullable: true, description: 'ISO 4217, for amount series' })
  currency!: string | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'Holt-Winters seasonality, smoothing parameters, error spread and when it was fitted',
  })
  model!: Record<string, unknown> | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean absolute percentage error on held-out intervals',
  })
  mape!: number | null;

  @ApiProperty({
    type: [ForecastPointDto],
    description: 'Recent intervals with their actual value, then the forecast ahead',
  })
  points!: ForecastPointDto[];
}

export class ForecastsDto {
  @ApiProperty({ type: Number, example: 60 })
  interval_minutes!: number;

  @ApiProperty({ type: Number, example: 0.95 })
  prediction_interval!: number;

  @ApiProperty({ type: [ForecastSeriesDto] })
  series!: ForecastSeriesDto[];
}

export interface ForecastQuery {
  series_id?: string;
  history?: number;
  horizon?: number;
}

function count(raw: Record<string, unknown>, name: string, max: number): number | undefined {
  const value = single(raw, name);
  if (value === undefined) return undefined;
  const parsed = /^[0-9]{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(parsed >= 0 && parsed <= max))
    throw new InvalidParameterException(name, `${name} must be an integer from 0 to ${max}`);
  return parsed;
}

export function parseForecastQuery(query: unknown): ForecastQuery {
  const raw = onlyKnownParameters(query, ['series_id', 'history', 'horizon']);
  const seriesId = textOf(raw, 'series_id', 200);
  const history = count(raw, 'history', 2000);
  const horizon = count(raw, 'horizon', 48);
  return {
    ...(seriesId ? { series_id: seriesId } : {}),
    ...(history !== undefined ? { history } : {}),
    ...(horizon !== undefined ? { horizon } : {}),
  };
}
