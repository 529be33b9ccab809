import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import { run, type Tx } from '../db/tx.js';
import type { SeriesSpec } from '../policy/policy.js';
import type { HoltWintersModel } from './holt-winters.js';

export interface SeriesRow {
  series_id: string;
  dimension: SeriesSpec['dimension'];
  value: string;
  metric: SeriesSpec['metric'];
  currency: string | null;
  evaluated_until: Date | null;
  model: HoltWintersModel | null;
  fitted_at: Date | null;
  mape: number | null;
}

export interface PointRow {
  bucket_start: Date;
  actual: number | null;
  forecast: number;
  lower_bound: number;
  upper_bound: number;
}

export interface TriggerStateRow {
  run_start: Date | null;
  run_length: number;
  run_fired: boolean;
  last_fired_at: Date | null;
}

const SERIES_COLUMNS =
  'series_id, dimension, value, metric, currency, evaluated_until, model, fitted_at, mape';

const ensureSeries = sql(
  'alerting.ensure_forecast_series',
  `INSERT INTO alerting.forecast_series (series_id, dimension, value, metric, currency) VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT (series_id) DO NOTHING`,
);
// one replica judges a series at a time; the others skip it rather than wait
const lockSeries = sql(
  'alerting.lock_forecast_series',
  `SELECT ${SERIES_COLUMNS} FROM alerting.forecast_series WHERE series_id = $1 FOR UPDATE SKIP LOCKED`,
);
const saveSeries = sql(
  'alerting.save_forecast_series',
  `UPDATE alerting.forecast_series SET evaluated_until = $2, model = $3, fitted_at = $4, mape = $5 WHERE series_id = $1`,
);
const savePoints = sql(
  'alerting.save_forecast_points',
  `INSERT INTO alerting.forecast_points (series_id, bucket_start, actual, forecast, lower_bound, upper_bound)
   SELECT $1, * FROM unnest($2::timestamptz[], $3::float8[], $4::float8[], $5::float8[], $6::float8[])
   ON CONFLICT (series_id, bucket_start) DO UPDATE
     SET actual = EXCLUDED.actual, forecast = EXCLUDED.forecast,
         lower_bound = EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound`,
);
const pointsBetween = sql(
  'alerting.forecast_points_between',
  `SELECT bucket_start, actual, forecast, lower_bound, upper_bound FROM alerting.forecast_points
    WHERE series_id = $1 AND bucket_start >= $2 AND bucket_start <= $3 ORDER BY bucket_start`,
);
const listSeries = sql(
  'alerting.list_forecast_series',
  `SELECT ${SERIES_COLUMNS} FROM alerting.forecast_series WHERE ($1::text IS NULL OR series_id = $1) ORDER BY series_id`,
);
const recentPoints = sql(
  'alerting.recent_forecast_points',
  `SELECT * FROM (
     SELECT bucket_start, actual, forecast, lower_bound, upper_bound FROM alerting.forecast_points
      WHERE series_id = $1 AND bucket_start < $2 ORDER BY bucket_start DESC LIMIT $3) past
   UNION ALL
   SELECT * FROM (
     SELECT bucket_start, actual, forecast, lower_bound, upper_bound FROM alerting.forecast_points
      WHERE series_id = $1 AND bucket_start >= $2 AND actual IS NULL ORDER BY bucket_start LIMIT $4) ahead
   ORDER BY bucket_start`,
);
const triggerState = sql(
  'alerting.trigger_state',
  `SELECT run_start, run_length, run_fired, last_fired_at FROM alerting.trigger_state
    WHERE trigger_id = $1 AND series_id = $2`,
);
const saveTriggerState = sql(
  'alerting.save_trigger_state',
  `INSERT INTO alerting.trigger_state (trigger_id, series_id, run_start, run_length, run_fired, last_fired_at)
   VALUES ($1, $2, $3, $4, $5, $6)
   ON CONFLICT (trigger_id, series_id) DO UPDATE
     SET run_start = EXCLUDED.run_start, run_length = EXCLUDED.run_length, run_fired = EXCLUDED.run_fired,
         last_fired_at = EXCLUDED.last_fired_at`,
);
const recordFiring = sql(
  'alerting.record_trigger_firing',
  `INSERT INTO alerting.trigger_firings (trigger_id, series_id, run_start, bucket_start, campaign, fired_at, intervals)
   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (trigger_id, series_id, run_start) DO NOTHING
   RETURNING firing_id::text AS firing_id`,
);

@Injectable()
export class ForecastsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async ensureSeries(client: Tx, id: string, spec: SeriesSpec): Promise<void> {
    await run(client, ensureSeries, [id, spec.dimension, spec.value, spec.metric, spec.currency ?? null]);
  }

  async lockSeries(client: Tx, id: string): Promise<SeriesRow | undefined> {
    return (await run<SeriesRow>(client, lockSeries, [id]))[0];
  }

  async saveSeries(
    client: Tx,
    id: string,
    state: { evaluatedUntil: Date; model: HoltWintersModel; fittedAt: Date; mape: number | null },
  ): Promise<void> {
    await run(client, saveSeries, [
      id,
      state.evaluatedUntil,
      JSON.stringify(state.model),
      state.fittedAt,
      state.mape,
    ]);
  }

  async savePoints(
    client: Tx,
    id: string,
    points: { bucketStart: Date; actual: number | null; forecast: number; lower: number; upper: number }[],
  ): Promise<void> {
    if (points.length === 0) return;
    await run(client, savePoints, [
      id,
      points.map((p) => p.bucketStart),
      points.map((p) => p.actual),
      points.map((p) => p.forecast),
      points.map((p) => p.lower),
      points.map((p) => p.upper),
    ]);
  }

  pointsBetween(client: Tx, id: string, from: Date, to: Date): Promise<PointRow[]> {
    return run<PointRow>(client, pointsBetween, [id, from, to]);
  }

  listSeries(seriesId?: string): Promise<SeriesRow[]> {
    return this.db.query<SeriesRow & Record<string, unknown>>(listSeries, [seriesId ?? null]);
  }

  recentPoints(id: string, before: Date, history: number, horizon: number): Promise<PointRow[]> {
    return this.db.query<PointRow & Record<string, unknown>>(recentPoints, [id, before, history, horizon]);
  }

  async triggerState(client: Tx, triggerId: string, seriesId: string): Promise<TriggerStateRow> {
    const [row] = await run<TriggerStateRow>(client, triggerState, [triggerId, seriesId]);
    return row ?? { run_start: null, run_length: 0, run_fired: false, last_fired_at: null };
  }

  async saveTriggerState(
    client: Tx,
    triggerId: string,
    seriesId: string,
    state: TriggerStateRow,
  ): Promise<void> {
    await run(client, saveTriggerState, [
      triggerId,
      seriesId,
      state.run_start,
      state.run_length,
      state.run_fired,
      state.last_fired_at,
    ]);
  }

  /** Undefined when this run already fired (another replica, or before a restart). */
  async recordFiring(
    client: Tx,
    firing: {
      triggerId: string;
      seriesId: string;
      runStart: Date;
      bucketStart: Date;
      campaign: string;
      firedAt: Date;
      intervals: unknown;
    },
  ): Promise<string | undefined> {
    const [row] = await run<{ firing_id: string }>(client, recordFiring, [
      firing.triggerId,
      firing.seriesId,
      firing.runStart,
      firing.bucketStart,
      firing.campaign,
      firing.firedAt,
      JSON.stringify(firing.intervals),
    ]);
    return row?.firing_id;
  }
}
