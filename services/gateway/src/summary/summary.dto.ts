import { ApiProperty } from '@nestjs/swagger';
import { PERMISSIONS, ROLES, readScopeOf, regionRefusal, type Principal } from '../auth/principal.js';
import { ProblemException } from '../http/problem.js';
import { onlyKnownParameters, regionOf } from '../http/query.js';

export interface SummaryQuery {
  region?: string;
}

/** `?region=` is parsed as on every list route: a region code in any case. */
export function parseSummaryQuery(query: unknown): SummaryQuery {
  const region = regionOf(onlyKnownParameters(query, ['region']));
  return region === undefined ? {} : { region };
}

/** The regions the summary covers: the asked one, refused with 403 outside the caller's scope, or the scope. */
export function regionsOf(principal: Principal, query: SummaryQuery): string[] | null {
  const refusal = regionRefusal(principal, query.region);
  if (refusal) throw new ProblemException(403, refusal);
  return query.region ? [query.region] : readScopeOf(principal).regions;
}

export class MeDto {
  @ApiProperty({ type: String, example: 'analyst' })
  subject!: string;

  @ApiProperty({ type: String, enum: ['user', 'api_key', 'client', 'oidc'] })
  kind!: string;

  @ApiProperty({ type: String, enum: ROLES })
  role!: string;

  @ApiProperty({ type: [String], description: 'Regions the caller may read; empty means every region' })
  regions!: string[];

  @ApiProperty({ type: String, nullable: true, example: 'partner-a' })
  partner_id!: string | null;

  @ApiProperty({ type: [String], enum: PERMISSIONS, description: 'What the caller may do, after scopes' })
  permissions!: string[];
}

class VolumeDto {
  @ApiProperty({ type: Number, description: 'Transactions received in the window' }) transactions!: number;
  @ApiProperty({ type: Number, description: 'Transactions received in the current minute so far' })
  last_minute!: number;
  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the first per_minute bucket' })
  first_minute!: string;
  @ApiProperty({ type: [Number], description: 'Transactions per minute, oldest first, 60 buckets' })
  per_minute!: number[];
}

class FraudDto {
  @ApiProperty({ type: String }) definition!: string;
  @ApiProperty({ type: Number }) scored!: number;
  @ApiProperty({ type: Number }) flagged!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'flagged / scored; null when nothing was scored',
  })
  rate!: number | null;
}

class DataQualitySummaryDto {
  @ApiProperty({
    type: String,
    enum: ['dq_windows', 'own_records'],
    description: "The validator's windows (staff), or the verdicts on the partner's own records",
  })
  source!: string;
  @ApiProperty({ type: Number }) records!: number;
  @ApiProperty({ type: Number, description: 'Passed, with or without warnings' }) passed!: number;
  @ApiProperty({ type: Number, nullable: true }) pass_rate!: number | null;
}

class RegionSummaryDto {
  @ApiProperty({ type: String, example: 'NG' }) region!: string;
  @ApiProperty({ type: Number }) transactions!: number;
  @ApiProperty({ type: Number }) scored!: number;
  @ApiProperty({ type: Number }) flagged!: number;
  @ApiProperty({ type: Number, nullable: true }) fraud_rate!: number | null;
  @ApiProperty({ type: Number, nullable: true }) dq_pass_rate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'null without alerts:read' })
  open_alerts!: number | null;
}

class OpenAlertCountsDto {
  @ApiProperty({ type: Number }) critical!: number;
  @ApiProperty({ type: Number }) warning!: number;
  @ApiProperty({ type: Number }) info!: number;
  @ApiProperty({ type: Number }) total!: number;
}

class OpenAlertDto {
  @ApiProperty({ type: String, format: 'uuid' }) alert_id!: string;
  @ApiProperty({ type: String }) name!: string;
  @ApiProperty({ type: String, enum: ['critical', 'warning', 'info'] }) severity!: string;
  @ApiProperty({ type: String }) summary!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels!: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) region!: string | null;
  @ApiProperty({ type: String, nullable: true }) partner_id!: string | null;
  @ApiProperty({ type: Number }) occurrences!: number;
  @ApiProperty({ type: String, format: 'date-time' }) last_seen!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The transaction of the latest occurrence (its key, as GET /v1/transactions/{id} takes it) for an alert ' +
      'raised by scored transactions; null for other alerts',
  })
  transaction_id!: string | null;
}

class AlertsSummaryDto {
  @ApiProperty({ type: OpenAlertCountsDto }) open!: OpenAlertCountsDto;
  @ApiProperty({ type: [OpenAlertDto], description: 'The most recently seen open alerts, at most 10' })
  latest!: OpenAlertDto[];
}

class ForecastPointSummaryDto {
  @ApiProperty({ type: String, format: 'date-time' }) bucket_start!: string;
  @ApiProperty({ type: Number, nullable: true }) actual!: number | null;
  @ApiProperty({ type: Number }) forecast!: number;
  @ApiProperty({ type: Number }) lower!: number;
  @ApiProperty({ type: Number }) upper!: number;
}

class RegionForecastDto {
  @ApiProperty({ type: String }) region!: string;
  @ApiProperty({ type: [ForecastPointSummaryDto] }) points!: ForecastPointSummaryDto[];
}

class HealthSummaryDto {
  @ApiProperty({ type: String, enum: ['ok', 'degraded'] }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { nats: 'ok', postgres: 'ok', started: 'ok' },
  })
  checks!: Record<string, string>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'number' },
    description: 'Messages not yet acknowledged per durable consumer',
  })
  stream_lag!: Record<string, number>;
  @ApiProperty({ type: String, format: 'date-time' }) refreshed_at!: string;
  @ApiProperty({ type: Number, description: 'How long the latest rollup read took' }) refresh_ms!: number;
}

class ScopeDto {
  @ApiProperty({ type: String, nullable: true }) partner_id!: string | null;
  @ApiProperty({ type: [String], nullable: true, description: 'null: every region' }) regions!:
    string[] | null;
}

export class SummaryDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'When the rollups were read' })
  generated_at!: string;
  @ApiProperty({ type: Number, example: 60 }) window_minutes!: number;
  @ApiProperty({ type: ScopeDto }) scope!: ScopeDto;
  @ApiProperty({ type: VolumeDto }) volume!: VolumeDto;
  @ApiProperty({ type: FraudDto }) fraud!: FraudDto;
  @ApiProperty({ type: DataQualitySummaryDto }) data_quality!: DataQualitySummaryDto;
  @ApiProperty({ type: [RegionSummaryDto] }) regions!: RegionSummaryDto[];
  @ApiProperty({ type: AlertsSummaryDto, nullable: true, description: 'null without alerts:read' })
  alerts!: AlertsSummaryDto | null;
  @ApiProperty({ type: [RegionForecastDto], nullable: true, description: 'null without forecasts:read' })
  forecast!: RegionForecastDto[] | null;
  @ApiProperty({ type: HealthSummaryDto, nullable: true, description: 'null without health:read' })
  health!: HealthSummaryDto | null;
}
