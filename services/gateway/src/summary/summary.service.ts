// Serves GET /v1/summary from memory: a background loop reads the rollups once a second (one query set for
// all callers), and each scope's answer is serialised once per refresh, so a request never waits on Postgres.
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Consumers } from '@vigil/contracts';
import { NatsClient } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { RetryLaterException } from '../http/api-exception.filter.js';
import { SerialisedJson } from '../http/serialised-json.js';
import {
  LATEST_ALERTS,
  BUCKET_MS,
  RecentBuckets,
  WINDOW_MINUTES,
  summarise,
  viewKey,
  type HealthSnapshot,
  type RollupSnapshot,
  type SummaryView,
} from './rollup.js';
import { SummaryRepository, type ForecastRow } from './summary.repository.js';

const MINUTE_MS = 60_000;
export const REFRESH_MS = 1_000;
/** Scores and verdicts land within a second or so of a record's arrival: the buckets re-read on every refresh. */
const RECENT_BUCKETS = 3;
/** A full re-read of the hour now and then picks up any other late change (a replay of quarantined records). */
const FULL_REREAD_MS = 5 * MINUTE_MS;
const FORECAST_EVERY_MS = 15_000;
const HEALTH_EVERY_MS = 5_000;
const FORECAST_HISTORY_MS = 24 * 60 * MINUTE_MS;
const FORECAST_AHEAD_MS = 6 * 60 * MINUTE_MS;
/** How long a request made before the first refresh may wait for it. */
const WARM_UP_WAIT_MS = 5_000;

@Injectable()
export class SummaryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private snapshot: RollupSnapshot | undefined;
  private served = new Map<string, SerialisedJson>();
  private readonly buckets = new RecentBuckets();
  private lastFullRead = 0;
  private forecasts: readonly ForecastRow[] = [];
  private lastForecastRead = 0;
  private health: HealthSnapshot = { status: 'degraded', checks: { summary: 'starting' }, stream_lag: {} };
  private lastHealthRead = 0;
  private healthReading: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private failures = 0;

  constructor(
    @Inject(SummaryRepository) private readonly rollups: SummaryRepository,
    @Inject(OpsServer) private readonly ops: OpsServer,
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.healthReading;
  }

  /** The summary of one view as JSON bytes and their ETag; computed at most once per refresh and view. */
  async summaryFor(view: SummaryView): Promise<SerialisedJson> {
    if (!this.snapshot) await this.warmUp();
    const key = viewKey(view);
    let found = this.served.get(key);
    if (!found) {
      found = new SerialisedJson(summarise(this.snapshot!, view));
      this.served.set(key, found);
    }
    return found;
  }

  private async warmUp(): Promise<void> {
    const deadline = Date.now() + WARM_UP_WAIT_MS;
    while (!this.snapshot && Date.now() < deadline) await sleep(50);
    if (!this.snapshot)
      throw new RetryLaterException('the summary is not ready yet: its first rollup has not been read', 2);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const started = performance.now();
      try {
        await this.refresh();
        if (this.failures > 0)
          this.logger.info({ failures: this.failures }, 'summary rollups readable again');
        this.failures = 0;
      } catch (error) {
        // the last snapshot keeps being served; its health section says the rollups are stale
        if (this.failures++ % 30 === 0)
          this.logger.warn({ err: error, failures: this.failures }, 'summary rollups could not be read');
        this.health = {
          ...this.health,
          status: 'degraded',
          checks: { ...this.health.checks, summary: 'stale' },
        };
      }
      const wait = REFRESH_MS - (performance.now() - started);
      if (wait > 0 && !this.stopping) await sleep(wait);
    }
  }

  private async refresh(): Promise<void> {
    const started = performance.now();
    const now = Date.now();
    const minute = now - (now % MINUTE_MS);
    const windowStart = minute - (WINDOW_MINUTES - 1) * MINUTE_MS;
    const full = now - this.lastFullRead >= FULL_REREAD_MS;
    const recent = now - (now % BUCKET_MS) - (RECENT_BUCKETS - 1) * BUCKET_MS;
    // also re-read from the oldest bucket whose records are not all scored or quarantined yet (a backlog)
    const since = full
      ? windowStart
      : Math.max(windowStart, Math.min(recent, this.buckets.oldestUnsettled() ?? recent));
    const readForecasts = now - this.lastForecastRead >= FORECAST_EVERY_MS;
    if (now - this.lastHealthRead >= HEALTH_EVERY_MS && !this.healthReading) {
      this.lastHealthRead = now;
      this.healthReading = this.readHealth()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'summary health could not be read'))
        .finally(() => (this.healthReading = undefined));
    }

    const [volume, dataQuality, alertCounts, openAlerts, forecasts] = await Promise.all([
      this.rollups.volumeSince(new Date(since)),
      this.rollups.dataQualitySince(new Date(windowStart)),
      this.rollups.openAlertCounts(),
      // enough for every region's latest few when alerts crowd in one region
      this.rollups.latestOpenAlerts(LATEST_ALERTS * 20),
      readForecasts
        ? this.rollups.regionForecasts(new Date(now - FORECAST_HISTORY_MS), new Date(now + FORECAST_AHEAD_MS))
        : undefined,
    ]);
    this.buckets.replaceFrom(since, volume, minute);
    if (full) this.lastFullRead = now;
    if (forecasts) {
      this.forecasts = forecasts;
      this.lastForecastRead = now;
    }
    this.snapshot = {
      minute,
      refreshedAt: new Date(now).toISOString(),
      refreshMs: Math.round((performance.now() - started) * 10) / 10,
      volume: this.buckets.all(),
      dataQuality,
      alertCounts,
      openAlerts,
      forecasts: this.forecasts,
      health: this.health,
    };
    this.served = new Map();
  }

  /** Readiness of NATS and Postgres as the gateway sees them, and how far each durable consumer is behind. */
  private async readHealth(): Promise<void> {
    const { ready, checks } = await this.ops.readiness();
    const lag: Record<string, number> = {};
    await Promise.all(
      Object.values(Consumers).map(async (consumer) => {
        try {
          const info = await this.nats.jsm.consumers.info(consumer.event.stream.name, consumer.durable);
          lag[consumer.durable] = info.num_pending + info.num_ack_pending;
        } catch {
          // a consumer not created yet (its service has not started) has no lag to show
        }
      }),
    );
    this.health = { status: ready ? 'ok' : 'degraded', checks, stream_lag: lag };
  }
}
