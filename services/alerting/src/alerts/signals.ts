// What each source's events mean as alerts: labels (hence fingerprint), severity, summary, and the key that
// makes a redelivered event count once.
import { createHash } from 'node:crypto';
import type {
  AlertSeverity,
  AlertSource,
  DataQualityAnomaly,
  SchemaDriftDetected,
  TransactionScored,
} from '@vigil/contracts';

export interface AlertSignal {
  source: AlertSource;
  severity: AlertSeverity;
  /** Includes `alertname`; the fingerprint is a hash of these. */
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  summary: string;
  /** Identity of the event behind this occurrence. */
  eventKey: string;
  occurredAt: string;
  transactionId?: string;
  score?: number;
  region?: string;
  partnerId?: string;
}

/** Alertmanager-style fingerprint: a hash of the sorted labels, so the same condition maps to one alert. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export function fraudSignal(scored: TransactionScored, threshold: number): AlertSignal | undefined {
  if (scored.score < threshold) return undefined;
  const t = scored.transaction;
  const codes = scored.reasons.map((r) => r.code).join(', ');
  return {
    source: 'fraud',
    severity: scored.score >= 0.95 ? 'critical' : 'warning',
    // an account name is a partner's own: the same name at two partners is two accounts, so two alerts
    labels: {
      alertname: 'HighRiskTransaction',
      region: t.region,
      account: t.origin.account,
      ...(t.partner_id ? { partner_id: t.partner_id } : {}),
    },
    summary: `${t.type} of ${t.amount} ${t.currency} from ${t.origin.account} scored ${scored.score} (${codes})`,
    eventKey: t.transaction_id,
    occurredAt: t.timestamp,
    transactionId: t.transaction_id,
    score: scored.score,
    region: t.region,
    ...(t.partner_id ? { partnerId: t.partner_id } : {}),
  };
}

const DRIFT_SEVERITY = { missing_field: 'critical', type_changed: 'warning', unknown_field: 'info' } as const;

export function driftSignal(drift: SchemaDriftDetected): AlertSignal {
  const expected = drift.expected ? ` (expected ${drift.expected}, saw ${drift.actual ?? 'nothing'})` : '';
  return {
    source: 'drift',
    severity: DRIFT_SEVERITY[drift.change],
    labels: { alertname: 'SchemaDrift', data_source: drift.source, field: drift.field, change: drift.change },
    annotations: {
      ...(drift.schema_version ? { schema_version: String(drift.schema_version) } : {}),
      ...(drift.expected ? { expected: drift.expected } : {}),
      ...(drift.actual ? { actual: drift.actual } : {}),
      first_transaction_id: drift.transaction_id,
    },
    summary: `Records from ${drift.source} changed shape: ${drift.change.replace('_', ' ')} ${drift.field}${expected}`,
    eventKey: [
      'drift',
      drift.source,
      drift.schema_version ?? '',
      drift.change,
      drift.field,
      drift.transaction_id,
    ].join(':'),
    occurredAt: drift.detected_at,
    transactionId: drift.transaction_id,
  };
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

export function anomalySignal(anomaly: DataQualityAnomaly): AlertSignal {
  const drop = anomaly.expected_pass_rate - anomaly.pass_rate;
  const worst = Object.entries(anomaly.failures ?? {})
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([rule, failures]) => `${rule} ${failures}`);
  return {
    source: 'data_quality',
    severity: drop >= 0.2 ? 'critical' : 'warning',
    labels: { alertname: 'DataQualityAnomaly', data_source: anomaly.source, region: anomaly.region },
    annotations: {
      window_start: anomaly.window_start,
      window_end: anomaly.window_end,
      records: String(anomaly.records),
      pass_rate: String(anomaly.pass_rate),
      expected_pass_rate: String(anomaly.expected_pass_rate),
      ...(worst.length > 0 ? { top_failures: worst.join(', ') } : {}),
    },
    summary:
      `Pass rate ${percent(anomaly.pass_rate)} for ${anomaly.source} in ${anomaly.region} ` +
      `(expected ${percent(anomaly.expected_pass_rate)}) over ${anomaly.records} records`,
    eventKey: ['dq-anomaly', anomaly.source, anomaly.region, anomaly.window_start].join(':'),
    occurredAt: anomaly.detected_at,
    region: anomaly.region,
  };
}
