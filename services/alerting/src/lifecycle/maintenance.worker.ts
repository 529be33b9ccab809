// Housekeeping on a slower beat: resolves alerts quiet for their source's period, publishes alert.raised events a
// crash left behind, and forgets demand transaction ids once no redelivery can bring them back.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ALERT_SOURCES } from '@vigil/contracts';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { Clock } from '../clock/clock.js';
import { Ticker } from '../clock/ticker.js';
import { WorkSignals } from '../clock/work-signals.js';
import { DemandRepository } from '../demand/demand.repository.js';
import { PolicyService } from '../policy/policy.service.js';
import { LifecycleRepository } from './lifecycle.repository.js';

/** JetStream redelivers within minutes (ack wait 10 s, at most 8 deliveries, backoff up to 30 s); a day is ample. */
const DEMAND_DEDUP_MS = 24 * 3_600_000;
/** An alert unpublished for this long was left by a crash, not by a publish still under way. */
const UNPUBLISHED_AFTER_MS = 30_000;

@Injectable()
export class MaintenanceWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ticker: Ticker;

  constructor(
    @Inject(LifecycleRepository) private readonly lifecycle: LifecycleRepository,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(DemandRepository) private readonly demand: DemandRepository,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ticker = new Ticker('maintenance', settings.pollIntervalMs * 5, () => this.runOnce(), logger);
    signals.register('maintenance', this.ticker);
  }

  onApplicationBootstrap(): void {
    this.ticker.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticker.stop();
  }

  private async runOnce(): Promise<boolean> {
    const now = this.clock.now();
    const policy = this.policy.current();
    const resolved = await this.lifecycle.autoResolve(
      ALERT_SOURCES.map((source) => ({
        source,
        cutoff: new Date(now.getTime() - policy.resolveAfterMs(source)),
      })),
      now,
    );
    if (resolved > 0) {
      this.logger.info({ resolved }, 'quiet alerts resolved');
      this.signals.kick('groups');
    }
    const published = await this.alerts.publishUnpublished(UNPUBLISHED_AFTER_MS);
    if (published > 0)
      this.logger.warn({ published }, 'published alert.raised events a crash had left unpublished');
    await this.demand.pruneSeen(new Date(now.getTime() - DEMAND_DEDUP_MS));
    return resolved === 200;
  }
}
