// Judges each closed demand interval once per series: refits the Holt-Winters model daily (measuring its MAPE on
// held-out days), stores forecast against actual with the band, forecasts ahead for the dashboard, and fires
// business triggers whose runs outside the band are long enough. One replica judges a series at a time.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { CampaignTrigger } from '@vigil/contracts';
import { Database } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import type { RecordedOccurrence } from '../alerts/alerts.repository.js';
import { AlertsService } from '../alerts/alerts.service.js';
import type { AlertSignal } from '../alerts/signals.js';
import { Clock } from '../clock/clock.js';
import { Ticker } from '../clock/ticker.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { Tx } from '../db/tx.js';
import { Notifier } from '../notifications/notifier.js';
import { PolicyService } from '../policy/policy.service.js';
import { seriesIdOf, type CompiledPolicy, type CompiledTrigger, type SeriesSpec } from '../policy/policy.js';
import { DemandRepository } from './demand.repository.js';
import { ForecastsRepository, type SeriesRow } from './forecasts.repository.js';
import {
  filter,
  fit,
  forecastFrom,
  holdoutMape,
  seasonalityFor,
  type HoltWintersModel,
  type Periods,
} from './holt-winters.js';
import { advanceRun } from './triggers.js';

/** Intervals forecast ahead of the last closed one (two days of hourly intervals). */
export const FORECAST_HORIZON = 48;
const REFIT_MS = 24 * 3_600_000;
const RANK = { none: 0, daily: 1, 'daily+weekly': 2 } as const;

interface Raised {
  recorded: RecordedOccurrence;
  signal: AlertSignal;
}

@Injectable()
export class ForecastWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ticker: Ticker;
  private readonly intervalMs: number;
  private readonly periods: Periods;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(DemandRepository) private readonly demand: DemandRepository,
    @Inject(ForecastsRepository) private readonly forecasts: ForecastsRepository,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(Notifier) private readonly notifier: Notifier,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.intervalMs = settings.demandIntervalMinutes * 60_000;
    const daily = 1440 / settings.demandIntervalMinutes;
    this.periods = { daily, weekly: 7 * daily };
    // an interval closes at most once per interval; looking every 15 s notices it soon enough
    this.ticker = new Ticker(
      'forecast',
      Math.max(settings.pollIntervalMs, 15_000),
      () => this.evaluateAll(),
      logger,
    );
    signals.register('forecasts', this.ticker);
  }

  onApplicationBootstrap(): void {
    this.ticker.start();
    // a new policy's series and triggers are judged at once, not at the next tick
    this.policy.onChange(() => this.ticker.kick());
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticker.stop();
  }

  private async evaluateAll(): Promise<boolean> {
    const now = this.clock.now();
    const policy = this.policy.current();
    let fired = false;
    for (const { id, spec } of await this.seriesOf(policy, now)) {
      const raised = await this.db.transaction((client) => this.evaluate(client, id, spec, policy, now));
      for (const { recorded, signal } of raised)
        await this.alerts
          .afterCommit(recorded, signal)
          .catch((error: unknown) =>
            this.logger.warn({ error: String(error) }, 'alert.raised not published yet; the sweep will'),
          );
      fired ||= raised.length > 0;
    }
    if (fired) this.signals.kick('deliveries');
    return false;
  }

  /** The policy's series (a selector without a value stands for every value seen) and every trigger's series. */
  private async seriesOf(policy: CompiledPolicy, now: Date): Promise<{ id: string; spec: SeriesSpec }[]> {
    const since = new Date(now.getTime() - policy.forecasting.historyMs);
    const specs: SeriesSpec[] = policy.triggers.map((t) => t.series);
    for (const selector of policy.forecasting.series) {
      const values = selector.value
        ? [selector.value]
        : await this.demand.valuesOf(selector.dimension, since, selector.currency);
      for (const value of values)
        specs.push({
          dimension: selector.dimension,
          value,
          metric: selector.metric,
          ...(selector.currency ? { currency: selector.currency } : {}),
        });
    }
    const unique = new Map(specs.map((spec) => [seriesIdOf(spec), spec]));
    return [...unique].map(([id, spec]) => ({ id, spec }));
  }

  private async evaluate(
    client: Tx,
    id: string,
    spec: SeriesSpec,
    policy: CompiledPolicy,
    now: Date,
  ): Promise<Raised[]> {
    const settings = policy.forecasting;
    const closedEnd = this.floor(now.getTime() - settings.latenessMs);
    await this.forecasts.ensureSeries(client, id, spec);
    const row = await this.forecasts.lockSeries(client, id);
    if (!row || (row.evaluated_until && row.evaluated_until.getTime() >= closedEnd)) return [];

    const raw = await this.demand.series(
      client,
      spec,
      new Date(closedEnd - settings.historyMs),
      new Date(closedEnd),
    );
    if (raw.length === 0) return [];
    const start = raw[0]!.bucket_start.getTime();
    const y = new Array<number>(Math.round((closedEnd - start) / this.intervalMs)).fill(0);
    for (const point of raw)
      y[Math.round((point.bucket_start.getTime() - start) / this.intervalMs)] = point.value;
    const firstNew = row.evaluated_until
      ? Math.max(0, Math.round((row.evaluated_until.getTime() - start) / this.intervalMs))
      : 0;

    const model = this.modelFor(row, y, firstNew, now, settings.predictionInterval);
    if (!model) return []; // not two days of history yet
    const { bands, state, end } = filter(y, this.periods, model.model, settings.predictionInterval);
    const judged = bands.slice(firstNew).map((band, i) => ({
      bucketStart: new Date(start + (firstNew + i) * this.intervalMs),
      actual: y[firstNew + i]!,
      forecast: band.forecast,
      // demand is never negative
      lower: Math.max(0, band.lower),
      upper: band.upper,
    }));
    const ahead = forecastFrom(
      state,
      end,
      this.periods,
      model.model,
      FORECAST_HORIZON,
      settings.predictionInterval,
    ).map((band, i) => ({
      bucketStart: new Date(closedEnd + i * this.intervalMs),
      actual: null,
      forecast: band.forecast,
      lower: Math.max(0, band.lower),
      upper: band.upper,
    }));
    await this.forecasts.savePoints(client, id, [...judged, ...ahead]);

    const raised: Raised[] = [];
    // the first judgement of a series only sets its starting point: triggers judge intervals from then on
    if (row.evaluated_until)
      for (const trigger of policy.triggers.filter((t) => t.seriesId === id))
        raised.push(...(await this.judgeTrigger(client, trigger, judged, now)));
    await this.forecasts.saveSeries(client, id, {
      evaluatedUntil: new Date(closedEnd),
      model: model.model,
      fittedAt: model.fittedAt,
      mape: model.mape,
    });
    return raised;
  }

  /** Refits once a day, or as soon as the history supports a richer seasonality; else keeps the stored model. */
  private modelFor(
    row: SeriesRow,
    y: number[],
    firstNew: number,
    now: Date,
    width: CompiledPolicy['forecasting']['predictionInterval'],
  ): { model: HoltWintersModel; fittedAt: Date; mape: number | null } | undefined {
    // fit on what came before the intervals to judge, so their forecasts are honest one-step-ahead ones
    const training = firstNew > 0 ? y.slice(0, firstNew) : y;
    const possible = seasonalityFor(training.length, this.periods);
    const richer =
      row.model !== null && possible !== undefined && RANK[possible] > RANK[row.model.seasonality];
    const stale = !row.fitted_at || now.getTime() - row.fitted_at.getTime() >= REFIT_MS;
    if (row.model && row.fitted_at && !stale && !richer)
      return { model: row.model, fittedAt: row.fitted_at, mape: row.mape };
    const model = fit(training, this.periods);
    if (!model) return undefined;
    const holdout = Math.round(this.policy.current().forecasting.holdoutMs / this.intervalMs);
    const accuracy = holdoutMape(training, this.periods, holdout, width);
    this.logger.info(
      { series: row.series_id, seasonality: model.seasonality, mape: accuracy, points: training.length },
      'forecast model fitted',
    );
    return { model, fittedAt: now, mape: accuracy ?? null };
  }

  private async judgeTrigger(
    client: Tx,
    trigger: CompiledTrigger,
    judged: { bucketStart: Date; actual: number; forecast: number; lower: number; upper: number }[],
    now: Date,
  ): Promise<Raised[]> {
    let state = await this.forecasts.triggerState(client, trigger.id, trigger.seriesId);
    const raised: Raised[] = [];
    for (const interval of judged) {
      const step = advanceRun(state, trigger, interval);
      state = step.state;
      if (!step.fires) continue;
      const runPoints = await this.forecasts.pointsBetween(
        client,
        trigger.seriesId,
        state.run_start!,
        interval.bucketStart,
      );
      const intervals = runPoints.map((p) => ({
        bucket_start: p.bucket_start.toISOString(),
        actual: p.actual,
        forecast: p.forecast,
        lower: p.lower_bound,
        upper: p.upper_bound,
      }));
      const firingId = await this.forecasts.recordFiring(client, {
        triggerId: trigger.id,
        seriesId: trigger.seriesId,
        runStart: state.run_start!,
        bucketStart: interval.bucketStart,
        campaign: trigger.campaign,
        firedAt: now,
        intervals,
      });
      if (!firingId) continue;
      const notificationId = `trigger:${trigger.id}:${trigger.seriesId}:${state.run_start!.toISOString()}`;
      const body: CampaignTrigger = {
        version: '1',
        notification_id: notificationId,
        trigger_id: trigger.id,
        campaign: trigger.campaign,
        series_id: trigger.seriesId,
        condition: trigger.condition,
        for_intervals: trigger.forIntervals,
        intervals,
        fired_at: now.toISOString(),
      };
      await this.notifier.queue(
        client,
        { channels: trigger.notify, kind: 'trigger', notificationId, body, alerts: [] },
        now,
      );
      const signal = businessSignal(trigger, interval, notificationId);
      raised.push({ recorded: await this.alerts.raiseIn(client, signal, now), signal });
      this.logger.info(
        { trigger: trigger.id, series: trigger.seriesId, interval: interval.bucketStart },
        'business trigger fired',
      );
    }
    await this.forecasts.saveTriggerState(client, trigger.id, trigger.seriesId, state);
    return raised;
  }

  private floor(ms: number): number {
    return ms - (ms % this.intervalMs);
  }
}

function businessSignal(
  trigger: CompiledTrigger,
  interval: { bucketStart: Date; actual: number; forecast: number; upper: number; lower: number },
  eventKey: string,
): AlertSignal {
  const above = trigger.condition === 'above_upper';
  return {
    source: 'business',
    severity: trigger.severity,
    labels: {
      alertname: above ? 'DemandAboveForecast' : 'DemandBelowForecast',
      trigger: trigger.id,
      campaign: trigger.campaign,
      series: trigger.seriesId,
    },
    annotations: {
      bucket_start: interval.bucketStart.toISOString(),
      actual: String(interval.actual),
      forecast: interval.forecast.toFixed(2),
      band: `${interval.lower.toFixed(2)}..${interval.upper.toFixed(2)}`,
    },
    summary:
      `Demand ${trigger.seriesId} ${above ? 'above' : 'below'} its forecast band for ${trigger.forIntervals} intervals ` +
      `(last: ${interval.actual} vs ${interval.forecast.toFixed(1)}); campaign ${trigger.campaign} triggered`,
    eventKey,
    occurredAt: interval.bucketStart.toISOString(),
  };
}
