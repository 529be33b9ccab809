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
const DRIFT_KINDS = ['missing_field', 'type_changed', 'unknown_field'] as const;
/** Fields named in an alert's summary; the annotation `fields` names up to the announcement's list. */
const FIELDS_IN_SUMMARY = 10;

/**
 * One alert per kind of change in a source's drift announcement (so at most three per source and window), each
 * naming its fields, a bounded list with the count of the rest. Labels hold no field: while the alert is open,
 * later windows of the same source and kind add occurrences to it instead of opening new alerts.
 */
export function driftSignals(drift: SchemaDriftDetected): AlertSignal[] {
  return DRIFT_KINDS.flatMap((kind) => {
    const listed = drift.changes.filter((c) => c.change === kind);
    const unlisted = drift.more_changes[kind];
    if (listed.length === 0 && unlisted === 0) return [];
    const total = listed.length + unlisted;
    const named = listed.map((c) =>
      c.expected ? `${c.field} (expected ${c.expected}, saw ${c.actual ?? 'nothing'})` : c.field,
    );
    const shown = named.slice(0, FIELDS_IN_SUMMARY);
    const rest = total - shown.length;
    const first = listed[0];
    const versions = [...new Set(listed.flatMap((c) => (c.schema_version ? [c.schema_version] : [])))];
    return [
      {
        source: 'drift' as const,
        severity: DRIFT_SEVERITY[kind],
        labels: { alertname: 'SchemaDrift', data_source: drift.source, change: kind },
        annotations: {
          window_start: drift.window_start,
          changes: String(total),
          ...(listed.length > 0 ? { fields: listed.map((c) => c.field).join(', ') } : {}),
          ...(versions.length > 0 ? { schema_version: versions.join(', ') } : {}),
          first_transaction_id: first?.transaction_id ?? drift.transaction_id,
        },
        summary:
          `Records from ${drift.source} changed shape: ${kind.replace('_', ' ')}` +
          `${total === 1 ? '' : 's'} ${shown.length > 0 ? shown.join(', ') : `(${total}, not named)`}` +
          (shown.length > 0 && rest > 0 ? ` and ${rest} more` : ''),
        eventKey: ['drift', drift.source, drift.window_start, kind].join(':'),
        occurredAt: drift.detected_at,
        transactionId: first?.transaction_id ?? drift.transaction_id,
      },
    ];
  });
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
