// Reads the data-quality windows and schema drift the validator records (read only).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { DataQualityFilters, SchemaDriftDto } from './data-quality.dto.js';

export interface WindowRow {
  window_start: string;
  source: string;
  region: string;
  records: number;
  passed: number;
  warned: number;
  quarantined: number;
  expected_pass_rate: number | null;
  anomaly: boolean | null;
  failures: Record<string, number> | null;
}

const TEXT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

const listWindows = sql(
  'gateway.list_dq_windows',
  `SELECT ${TEXT('w.window_start')} AS window_start, w.source, w.region, w.records, w.passed, w.warned,
          w.quarantined, w.expected_pass_rate, w.anomaly,
          (SELECT jsonb_object_agg(f.rule_id, f.failures) FROM validator.dq_rule_failures f
            WHERE f.window_start = w.window_start AND f.source = w.source AND f.region = w.region) AS failures
     FROM validator.dq_windows w
    WHERE ($1::text[] IS NULL OR w.region = ANY($1))
      AND ($2::text IS NULL OR w.source = $2)
      AND ($3::text IS NULL OR w.region = $3)
      AND ($4::timestamptz IS NULL OR w.window_start >= $4)
      AND ($5::timestamptz IS NULL OR w.window_start < $5)
    ORDER BY w.window_start DESC, w.source, w.region
    LIMIT $6`,
);

const listDrift = sql(
  'gateway.list_schema_drift',
  `SELECT source, schema_version, change, field, expected, actual, first_transaction_id,
          ${TEXT('first_seen')} AS first_seen, ${TEXT('last_seen')} AS last_seen, occurrences::float8 AS occurrences
     FROM validator.schema_drift
    WHERE ($1::text IS NULL OR source = $1)
    ORDER BY last_seen DESC, source, field
    LIMIT $2`,
);

@Injectable()
export class DataQualityRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  windows(filters: DataQualityFilters, scope: ReadScope): Promise<WindowRow[]> {
    return this.db.query<WindowRow>(listWindows, [
      scope.regions,
      filters.source ?? null,
      filters.region ?? null,
      filters.from ?? null,
      filters.to ?? null,
      filters.limit,
    ]);
  }

  drift(source: string | undefined, limit: number): Promise<SchemaDriftDto[]> {
    return this.db.query<SchemaDriftDto & Record<string, unknown>>(listDrift, [source ?? null, limit]);
  }
}
