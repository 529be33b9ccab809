// Pure part of the summary: one snapshot of the rollup rows, cut down to what one scope may see.
import type {
  AlertCountRow,
  DataQualityRow,
  ForecastRow,
  OpenAlertRow,
  VolumeRow,
} from './summary.repository.js';

export const WINDOW_MINUTES = 60;
export const LATEST_ALERTS = 10;
export const FRAUD_DEFINITION = "share of scored transactions whose decision is 'review' or 'block'";
const MINUTE_MS = 60_000;
/** Width of the buckets the rollup query returns (see summary.repository.ts); divides a minute. */
export const BUCKET_MS = 10_000;

export interface HealthSnapshot {
  status: 'ok' | 'degraded';
  checks: Record<string, string>;
  /** Messages not yet acknowledged per durable consumer (pending + in flight); empty when NATS did not answer. */
  stream_lag: Record<string, number>;
}

/** Everything one background refresh read; shared by all scopes until the next one. */
export interface RollupSnapshot {
  /** Start of the current minute: the last of the WINDOW_MINUTES buckets. */
  minute: number;
  refreshedAt: string;
  refreshMs: number;
  volume: readonly VolumeRow[];
  dataQuality: readonly DataQualityRow[];
  alertCounts: readonly AlertCountRow[];
  openAlerts: readonly OpenAlertRow[];
  forecasts: readonly ForecastRow[];
  health: HealthSnapshot;
}

/** Which rows and sections one caller may see. */
export interface SummaryView {
  partnerId: string | null;
  /** null: every region. */
  regions: readonly string[] | null;
  alerts: boolean;
  forecasts: boolean;
  dataQuality: boolean;
  health: boolean;
}

export const viewKey = (view: SummaryView): string =>
  [
    view.partnerId ?? '*',
    view.regions ? [...view.regions].sort().join(',') : '*',
    Number(view.alerts),
    Number(view.forecasts),
    Number(view.dataQuality),
    Number(view.health),
  ].join('|');

const rate = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;

export interface RegionSummary {
  region: string;
  transactions: number;
  scored: number;
  flagged: number;
  fraud_rate: number | null;
  dq_pass_rate: number | null;
  open_alerts: number | null;
}

export interface Summary {
  generated_at: string;
  window_minutes: number;
  scope: { partner_id: string | null; regions: string[] | null };
  volume: {
    transactions: number;
    last_minute: number;
    /** Start of the first of the per_minute buckets. */
    first_minute: string;
    /** Transactions per minute, oldest first: a bare array keeps the answer small (it is sent a lot). */
    per_minute: number[];
  };
  fraud: { definition: string; scored: number; flagged: number; rate: number | null };
  data_quality: {
    source: 'dq_windows' | 'own_records';
    records: number;
    passed: number;
    pass_rate: number | null;
  };
  regions: RegionSummary[];
  alerts: {
    open: { critical: number; warning: number; info: number; total: number };
    latest: OpenAlertRow[];
  } | null;
  forecast: { region: string; points: Omit<ForecastRow, 'region'>[] }[] | null;
  health: (HealthSnapshot & { refreshed_at: string; refresh_ms: number }) | null;
}

/** A row without a region stays out of a region-restricted scope, as in the list endpoints. */
const inRegions = (regions: readonly string[] | null, region: string | null): boolean =>
  regions === null || (region !== null && regions.includes(region));

const inView = (view: SummaryView, row: { region: string | null; partner_id: string | null }): boolean =>
  (view.partnerId === null || row.partner_id === view.partnerId) && inRegions(view.regions, row.region);

const NO_REGION = 'unknown';

export function summarise(snapshot: RollupSnapshot, view: SummaryView): Summary {
  const first = snapshot.minute - (WINDOW_MINUTES - 1) * MINUTE_MS;
  const perMinute = new Array<number>(WINDOW_MINUTES).fill(0);
  const regions = new Map<string, RegionSummary & { validated: number; quarantined: number }>();
  const regionOf = (name: string) => {
    let entry = regions.get(name);
    if (!entry) {
      entry = {
        region: name,
        transactions: 0,
        scored: 0,
        flagged: 0,
        fraud_rate: null,
        dq_pass_rate: null,
        open_alerts: view.alerts ? 0 : null,
        validated: 0,
        quarantined: 0,
      };
      regions.set(name, entry);
    }
    return entry;
  };

  let transactions = 0;
  let scored = 0;
  let flagged = 0;
  let validated = 0;
  let quarantined = 0;
  for (const row of snapshot.volume) {
    if (!inView(view, row)) continue;
    const index = Math.floor((Date.parse(row.bucket) - first) / MINUTE_MS);
    if (index < 0 || index >= WINDOW_MINUTES) continue;
    perMinute[index]! += row.received;
    transactions += row.received;
    scored += row.scored;
    flagged += row.flagged;
    validated += row.validated;
    quarantined += row.quarantined;
    const region = regionOf(row.region ?? NO_REGION);
    region.transactions += row.received;
    region.scored += row.scored;
    region.flagged += row.flagged;
    region.validated += row.validated;
    region.quarantined += row.quarantined;
  }

  // staff read the validator's windows; a partner's pass rate comes from the verdicts on its own records only
  let dataQuality: Summary['data_quality'];
  if (view.partnerId === null && view.dataQuality) {
    let records = 0;
    let passed = 0;
    for (const row of snapshot.dataQuality) {
      if (!inRegions(view.regions, row.region)) continue;
      records += row.records;
      passed += row.passed;
      regionOf(row.region).dq_pass_rate = rate(row.passed, row.records);
    }
    dataQuality = { source: 'dq_windows', records, passed, pass_rate: rate(passed, records) };
  } else {
    for (const region of regions.values())
      region.dq_pass_rate = rate(region.validated - region.quarantined, region.validated);
    dataQuality = {
      source: 'own_records',
      records: validated,
      passed: validated - quarantined,
      pass_rate: rate(validated - quarantined, validated),
    };
  }

  let alerts: Summary['alerts'] = null;
  if (view.alerts) {
    const open = { critical: 0, warning: 0, info: 0, total: 0 };
    for (const row of snapshot.alertCounts) {
      if (!inView(view, row)) continue;
      open[row.severity] += row.open;
      open.total += row.open;
      if (row.region !== null) regionOf(row.region).open_alerts! += row.open;
    }
    const latest = snapshot.openAlerts.filter((a) => inView(view, a)).slice(0, LATEST_ALERTS);
    alerts = { open, latest };
  }

  let forecast: Summary['forecast'] = null;
  if (view.forecasts && view.partnerId === null) {
    const series = new Map<string, Omit<ForecastRow, 'region'>[]>();
    for (const { region, ...point } of snapshot.forecasts) {
      if (!inRegions(view.regions, region)) continue;
      const points = series.get(region) ?? [];
      points.push(point);
      series.set(region, points);
    }
    forecast = [...series].map(([region, points]) => ({ region, points }));
  }

  return {
    generated_at: snapshot.refreshedAt,
    window_minutes: WINDOW_MINUTES,
    scope: { partner_id: view.partnerId, regions: view.regions ? [...view.regions] : null },
    volume: {
      transactions,
      last_minute: perMinute[WINDOW_MINUTES - 1]!,
      first_minute: new Date(first).toISOString().replace('.000Z', 'Z'),
      per_minute: perMinute,
    },
    fraud: { definition: FRAUD_DEFINITION, scored, flagged, rate: rate(flagged, scored) },
    data_quality: dataQuality,
    regions: [...regions.values()]
      .map(({ validated: _v, quarantined: _q, ...region }) => ({
        ...region,
        fraud_rate: rate(region.flagged, region.scored),
      }))
      .sort((a, b) => b.transactions - a.transactions || a.region.localeCompare(b.region)),
    alerts,
    forecast,
    health: view.health
      ? { ...snapshot.health, refreshed_at: snapshot.refreshedAt, refresh_ms: snapshot.refreshMs }
      : null,
  };
}

/**
 * Buckets kept between refreshes: a refresh re-reads only the last few (where verdicts and scores still land,
 * within a second or so) and keeps the older ones, so its cost follows the recent rate, not the hour's volume.
 */
export class RecentBuckets {
  private rows = new Map<number, VolumeRow[]>();

  /** Replaces every bucket from `since` on with `fresh` and drops buckets older than the window. */
  replaceFrom(since: number, fresh: readonly VolumeRow[], currentMinute: number): void {
    const oldest = currentMinute - (WINDOW_MINUTES - 1) * MINUTE_MS;
    for (const start of [...this.rows.keys()]) if (start >= since || start < oldest) this.rows.delete(start);
    for (const row of fresh) {
      const start = Date.parse(row.bucket);
      if (start < oldest) continue;
      const bucket = this.rows.get(start) ?? [];
      bucket.push(row);
      this.rows.set(start, bucket);
    }
  }

  /** The oldest bucket with records still waiting for a score or a quarantine verdict: it may still change. */
  oldestUnsettled(): number | undefined {
    let oldest: number | undefined;
    for (const [start, rows] of this.rows) {
      const unsettled = rows.some((r) => r.received > r.scored + r.quarantined);
      if (unsettled && (oldest === undefined || start < oldest)) oldest = start;
    }
    return oldest;
  }

  all(): VolumeRow[] {
    return [...this.rows.values()].flat();
  }
}
