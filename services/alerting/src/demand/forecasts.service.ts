// Forecast against actual per series, for the dashboard: recent judged intervals and the forecast ahead.
import { Inject, Injectable } from '@nestjs/common';
import type { ForecastsReply, ForecastsRequest } from '@vigil/contracts';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { Clock } from '../clock/clock.js';
import { PolicyService } from '../policy/policy.service.js';
import { ForecastsRepository } from './forecasts.repository.js';
import { FORECAST_HORIZON } from './forecast.worker.js';

@Injectable()
export class ForecastsService {
  constructor(
    @Inject(ForecastsRepository) private readonly repository: ForecastsRepository,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
  ) {}

  async seriesFor(request: ForecastsRequest): Promise<ForecastsReply> {
    const history = request.history ?? 48;
    const horizon = Math.min(request.horizon ?? 24, FORECAST_HORIZON);
    const rows = await this.repository.listSeries(request.series_id);
    const series = await Promise.all(
      rows.map(async (row) => {
        const points = await this.repository.recentPoints(
          row.series_id,
          row.evaluated_until ?? this.clock.now(),
          history,
          horizon,
        );
        return {
          series_id: row.series_id,
          dimension: row.dimension,
          value: row.value,
          metric: row.metric,
          currency: row.currency,
          model:
            row.model && row.fitted_at
              ? {
                  seasonality: row.model.seasonality,
                  alpha: row.model.alpha,
                  beta: row.model.beta,
                  gamma: row.model.gamma,
                  delta: row.model.delta,
                  sigma: row.model.sigma,
                  fitted_at: row.fitted_at.toISOString(),
                }
              : null,
          mape: row.mape,
          points: points.map((p) => ({
            bucket_start: p.bucket_start.toISOString(),
            actual: p.actual,
            forecast: p.forecast,
            lower: p.lower_bound,
            upper: p.upper_bound,
          })),
        };
      }),
    );
    return {
      interval_minutes: this.settings.demandIntervalMinutes,
      prediction_interval: this.policy.current().forecasting.predictionInterval,
      series,
    };
  }
}
