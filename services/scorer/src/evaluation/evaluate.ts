// Scores a labelled, ordered dataset the way the running scorer would (same features, same model)
// and reports the ranking figures.
import { InMemoryAccountStates, accountKey, fullFeatures } from '../features/feature-extractor.js';
import type { FeatureVector } from '../features/features.js';
import { KnownFraudLabels, NO_KNOWN_FRAUD } from '../features/known-fraud.js';
import type { LabelledTransaction } from './dataset.js';
import { atAlertBudget, averagePrecision, recallAt, rocAuc, type AtBudget, type Scored } from './metrics.js';

export interface Evaluation {
  records: number;
  fraud: number;
  auprc: number;
  rocAuc: number;
  atBudget: AtBudget;
  /** Recall per typology at the review threshold. */
  recallByTypology: Record<string, { fraud: number; recall: number }>;
  reviewThreshold: number;
}

export interface FeatureOptions {
  /**
   * Each fraud's label becomes known this long after the transaction, and from then on counts in the risk
   * features of its card, account and merchant, as a label posted then would online. Without it no label is
   * known.
   */
  labelDelayMs?: number;
}

/** The fraud labels of a dataset as they would have become known, `delayMs` after each fraud. */
export function delayedFraudLabels(data: readonly LabelledTransaction[], delayMs: number): KnownFraudLabels {
  const labels = new KnownFraudLabels();
  for (const { transaction, isFraud } of data) {
    if (!isFraud) continue;
    const occurredAt = Date.parse(transaction.timestamp);
    const destination = transaction.destination?.account;
    labels.add({
      occurredAt,
      knownAt: occurredAt + delayMs,
      origin: accountKey(transaction, transaction.origin.account),
      destination: destination === undefined ? null : accountKey(transaction, destination),
    });
  }
  return labels;
}

/** Feature vectors of a dataset in its order, as the scorer's partitions would compute them. */
export function featuresOf(
  data: readonly LabelledTransaction[],
  options: FeatureOptions = {},
): FeatureVector[] {
  const states = new InMemoryAccountStates();
  const fraud =
    options.labelDelayMs === undefined ? NO_KNOWN_FRAUD : delayedFraudLabels(data, options.labelDelayMs);
  return data.map((d) => fullFeatures(d.transaction, states, fraud));
}

export function evaluate(
  data: readonly LabelledTransaction[],
  scores: readonly number[],
  budget: number,
  reviewThreshold: number,
): Evaluation {
  const scored: Scored[] = data.map((d, i) => ({ score: scores[i]!, isFraud: d.isFraud }));
  const byTypology = new Map<string, Scored[]>();
  data.forEach((d, i) => {
    if (!d.typology) return;
    const list = byTypology.get(d.typology) ?? [];
    list.push(scored[i]!);
    byTypology.set(d.typology, list);
  });
  return {
    records: data.length,
    fraud: scored.filter((s) => s.isFraud).length,
    auprc: averagePrecision(scored),
    rocAuc: rocAuc(scored),
    atBudget: atAlertBudget(scored, budget),
    reviewThreshold,
    recallByTypology: Object.fromEntries(
      [...byTypology.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([typology, list]) => [
          typology,
          { fraud: list.length, recall: recallAt(list, reviewThreshold) },
        ]),
    ),
  };
}

export function formatEvaluation(name: string, e: Evaluation): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `${name}: ${e.records.toLocaleString('en-US')} records, ${e.fraud.toLocaleString('en-US')} fraud`,
    `  AUPRC    ${e.auprc.toFixed(4)}`,
    `  ROC-AUC  ${e.rocAuc.toFixed(4)}`,
    `  at an alert budget of ${e.atBudget.budget}: precision ${pct(e.atBudget.precision)}, recall ${pct(e.atBudget.recall)}`,
    `  recall per typology at score >= ${e.reviewThreshold}:`,
    ...Object.entries(e.recallByTypology).map(
      ([t, r]) => `    ${t.padEnd(22)} ${pct(r.recall).padStart(8)}  of ${r.fraud}`,
    ),
  ];
  return lines.join('\n');
}
