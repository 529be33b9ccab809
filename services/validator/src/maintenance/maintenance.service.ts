// Background upkeep, in every replica (each task is safe to run concurrently): judging closed data-quality
// windows, flushing drift counts and announcing drift, pruning expired fingerprints, creating audit partitions ahead, and retention.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { AuditLog } from '../audit/audit-log.js';
import { AnomalyService } from '../data-quality/anomaly.service.js';
import { DriftService } from '../schemas/drift.service.js';

export const MAINTENANCE_SETTINGS = Symbol('MAINTENANCE_SETTINGS');
export interface MaintenanceSettings {
  evaluateIntervalMs: number;
  retentionMonths: number;
}

const HOURLY_MS = 3_600_000;

const pruneFingerprints = sql(
  'validator.prune_fingerprints',
  `DELETE FROM validator.fingerprints
    WHERE ctid IN (SELECT ctid FROM validator.fingerprints WHERE expires_at < now() LIMIT 10000)`,
);

@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<void>>();

  constructor(
    @Inject(AnomalyService) private readonly anomalies: AnomalyService,
    @Inject(DriftService) private readonly drift: DriftService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(Database) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(MAINTENANCE_SETTINGS) private readonly settings: MaintenanceSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // partitions first: the month's appends need one before the first record is judged
    await this.upkeepAudit();
    this.every(this.settings.evaluateIntervalMs, () => this.upkeepDataQuality());
    this.every(HOURLY_MS, () => this.upkeepAudit());
  }

  /** Each step runs even when another fails; the first failure is reported. */
  async upkeepDataQuality(): Promise<void> {
    const results = await Promise.allSettled([
      this.anomalies.judgeClosedWindows().then((judged) => {
        if (judged.anomalies > 0) this.logger.info(judged, 'data-quality windows judged');
      }),
      this.upkeepDrift(),
      this.db.query(pruneFingerprints),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Counts first, so an announcement includes the changes this replica counted past records' limits. */
  private async upkeepDrift(): Promise<void> {
    try {
      await this.drift.flushCounts();
    } finally {
      await this.drift.announce();
    }
  }

  async upkeepAudit(): Promise<void> {
    const lastMonth = new Date();
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    await this.audit.ensurePartitions(lastMonth, 4);
    const dropped = await this.audit.applyRetention(this.settings.retentionMonths, 'validator (retention)');
    if (dropped.length > 0) this.logger.info({ dropped }, 'expired audit partitions dropped');
  }

  private every(intervalMs: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      // a slow run is not overtaken by the next one
      if (busy) return;
      busy = true;
      const run = task()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'maintenance task failed, will run again'),
        )
        .finally(() => {
          busy = false;
          this.running.delete(run);
        });
      this.running.add(run);
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.allSettled([...this.running]);
  }
}
