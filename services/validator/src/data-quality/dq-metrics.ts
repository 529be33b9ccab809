// Data quality as Prometheus metrics: verdicts by source, region and outcome, and failures by rule. Counted
// once per verdict recorded (not per delivery), so a redelivery does not count twice.
import { Inject, Injectable } from '@nestjs/common';
import type { Reason } from '@vigil/contracts';
import { OpsServer } from '@vigil/observability';
import { Counter } from 'prom-client';

/** Label values are bounded: sources come from clients, so past this many the rest count as "other". */
const MAX_SOURCES = 200;

export type Outcome = 'valid' | 'flagged' | 'quarantined' | 'duplicate';

@Injectable()
export class DataQualityMetrics {
  private readonly records: Counter<'source' | 'region' | 'outcome'>;
  private readonly failures: Counter<'rule' | 'severity'>;
  private readonly replays: Counter<'outcome'>;
  private readonly sources = new Set<string>();

  constructor(@Inject(OpsServer) ops: OpsServer) {
    this.records = new Counter({
      name: 'vigil_validator_records_total',
      help: 'Verdicts by source, region and outcome (valid, flagged: valid with warnings, quarantined, duplicate)',
      labelNames: ['source', 'region', 'outcome'],
      registers: [ops.registry],
    });
    this.failures = new Counter({
      name: 'vigil_validator_rule_failures_total',
      help: 'Rule failures by rule id and severity',
      labelNames: ['rule', 'severity'],
      registers: [ops.registry],
    });
    this.replays = new Counter({
      name: 'vigil_validator_replays_total',
      help: 'Replayed quarantined records by outcome (released, requarantined, refused)',
      labelNames: ['outcome'],
      registers: [ops.registry],
    });
  }

  verdict(source: string, region: string, outcome: Outcome, reasons: readonly Reason[]): void {
    this.records.inc({ source: this.sourceLabel(source), region, outcome });
    for (const reason of reasons)
      this.failures.inc({ rule: reason.code, severity: reason.severity ?? 'error' });
  }

  replay(outcome: string): void {
    this.replays.inc({ outcome });
  }

  private sourceLabel(source: string): string {
    if (this.sources.has(source)) return source;
    if (this.sources.size >= MAX_SOURCES) return 'other';
    this.sources.add(source);
    return source;
  }
}
