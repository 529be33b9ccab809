// The rollup queries behind GET /v1/summary: each groups a bounded, indexed time range into minute buckets per
// region and partner, so one query set serves every scope (the scopes are cut from the rows in memory).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface VolumeRow {
  /** Start of a 10-second bucket (BUCKET_MS), aligned to the minute. */
  bucket: string;
  region: string | null;
  partner_id: string | null;
  received: number;
  scored: number;
  flagged: number;
  validated: number;
  quarantined: number;
}

export interface DataQualityRow {
  region: string;
  records: number;
  passed: number;
}

export interface AlertCountRow {
  severity: 'critical' | 'warning' | 'info';
  region: string | null;
  partner_id: string | null;
  open: number;
}

export interface OpenAlertRow {
  alert_id: string;
  name: string;
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  labels: Record<string, string>;
  region: string | null;
  partner_id: string | null;
  occurrences: number;
  last_seen: string;
  /** The transaction of the latest occurrence, for alerts raised by scored transactions; null for others. */
  transaction_id: string | null;
}

export interface ForecastRow {
  region: string;
  bucket_start: string;
  actual: number | null;
  forecast: number;
  lower: number;
  upper: number;
}

// Walks ingest's received_at index over [$1, now] in 10-second buckets (so a refresh can re-read just the last
// few of them); the verdict and score of each row come by primary key.
// "Flagged" is the scorer's decision (review or block), the same line the alerting rules act on.
const volumeByMinute = sql(
  'gateway.summary_volume_by_minute',
  `SELECT to_char(date_bin('10 seconds', t.received_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AT TIME ZONE 'UTC',
                  'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS bucket,
          t.region, t.partner_id,
          count(*)::int AS received,
          count(s.transaction_id)::int AS scored,
          count(*) FILTER (WHERE s.decision IN ('review', 'block'))::int AS flagged,
          count(v.transaction_id)::int AS validated,
          count(*) FILTER (WHERE v.status = 'quarantined')::int AS quarantined
     FROM ingest.transactions t
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
     LEFT JOIN validator.results v ON v.transaction_id = t.transaction_id
    WHERE t.received_at >= $1::timestamptz
    GROUP BY 1, 2, 3`,
);

// validator.dq_windows is keyed by window_start first: the range is an index scan.
const dataQuality = sql(
  'gateway.summary_data_quality',
  `SELECT region, sum(records)::int AS records, sum(passed)::int AS passed
     FROM validator.dq_windows
    WHERE window_start >= $1::timestamptz
    GROUP BY region`,
);

const openAlertCounts = sql(
  'gateway.summary_open_alert_counts',
  `SELECT severity, region, partner_id, count(*)::int AS open
     FROM alerting.alerts
    WHERE status = 'open'
    GROUP BY 1, 2, 3`,
);

const latestOpenAlerts = sql(
  'gateway.summary_latest_open_alerts',
  `SELECT a.alert_id::text AS alert_id, a.name, a.severity, a.summary, a.labels, a.region, a.partner_id,
          a.occurrences, to_char(a.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_seen,
          (SELECT e.transaction_id FROM alerting.alert_events e
            WHERE e.alert_id = a.alert_id
            ORDER BY e.occurred_at DESC, e.transaction_id DESC
            LIMIT 1) AS transaction_id
     FROM alerting.alerts a
    WHERE a.status = 'open'
    ORDER BY a.last_seen DESC, a.alert_id DESC
    LIMIT $1`,
);

// The count series per region that alerting fits (Holt-Winters), recent history and the intervals ahead.
const regionForecasts = sql(
  'gateway.summary_region_forecasts',
  `SELECT s.value AS region,
          to_char(p.bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS bucket_start,
          p.actual, p.forecast, p.lower_bound AS lower, p.upper_bound AS upper
     FROM alerting.forecast_series s
     JOIN alerting.forecast_points p ON p.series_id = s.series_id
    WHERE s.dimension = 'region' AND s.metric = 'count'
      AND p.bucket_start >= $1::timestamptz AND p.bucket_start < $2::timestamptz
    ORDER BY s.value, p.bucket_start`,
);

@Injectable()
export class SummaryRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  volumeSince(since: Date): Promise<VolumeRow[]> {
    return this.db.query<VolumeRow & Record<string, unknown>>(volumeByMinute, [since.toISOString()]);
  }

  dataQualitySince(since: Date): Promise<DataQualityRow[]> {
    return this.db.query<DataQualityRow & Record<string, unknown>>(dataQuality, [since.toISOString()]);
  }

  openAlertCounts(): Promise<AlertCountRow[]> {
    return this.db.query<AlertCountRow & Record<string, unknown>>(openAlertCounts);
  }

  latestOpenAlerts(limit: number): Promise<OpenAlertRow[]> {
    return this.db.query<OpenAlertRow & Record<string, unknown>>(latestOpenAlerts, [limit]);
  }

  regionForecasts(from: Date, to: Date): Promise<ForecastRow[]> {
    return this.db.query<ForecastRow & Record<string, unknown>>(regionForecasts, [
      from.toISOString(),
      to.toISOString(),
    ]);
  }
}
