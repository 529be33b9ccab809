// Replays stored transactions through candidate scoring rules and measures them against the labels: alerts
// raised, precision, recall, and the labelled fraud that the policy in force let through.
import { CURRENCY_MINOR_UNITS, type Transaction } from '@vigil/contracts';
import type { CompiledRule, RuleContext } from '../policy/scoring-policy.js';
import type { BacktestRepository, ScoredTransactionRow } from './backtest.repository.js';

const DAY_MS = 86_400_000;
const PAGE_SIZE = 1_000;

export interface BacktestWindow {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** What one rule, or the set (a transaction is alerted when any rule fires), would have done. */
export interface RuleResult {
  id: string;
  alerts: number;
  alertsPerDay: number;
  /** Alerts per UTC day (YYYY-MM-DD), days without alerts left out. */
  alertsByDay: Record<string, number>;
  /** Alerted transactions labelled fraud. */
  fraudFound: number;
  /** fraudFound / alerts; null without alerts. */
  precision: number | null;
  /** fraudFound / labelled fraud in the window; null without labelled fraud. */
  recall: number | null;
  /** Labelled fraud this found that the stored decision approved. */
  fraudPolicyMissed: number;
}

export interface BacktestReport {
  window: { from: string; to: string; days: number };
  transactions: number;
  /** Scores stored without a feature vector (before the feature store): their rules see an empty `f`. */
  withoutFeatures: number;
  labelledFraud: number;
  labelledLegitimate: number;
  /** Labelled fraud the stored decision sent to review or blocked. */
  fraudFlaggedByPolicy: number;
  rules: RuleResult[];
  set: RuleResult;
}

export type BacktestProgress = (replayed: number, total: number) => void;

class Tally {
  alerts = 0;
  fraudFound = 0;
  fraudPolicyMissed = 0;
  readonly alertsByDay = new Map<string, number>();

  constructor(readonly id: string) {}

  count(day: string, fraud: boolean, policyFlagged: boolean): void {
    this.alerts += 1;
    this.alertsByDay.set(day, (this.alertsByDay.get(day) ?? 0) + 1);
    if (!fraud) return;
    this.fraudFound += 1;
    if (!policyFlagged) this.fraudPolicyMissed += 1;
  }

  result(days: number, labelledFraud: number): RuleResult {
    return {
      id: this.id,
      alerts: this.alerts,
      alertsPerDay: this.alerts / days,
      alertsByDay: Object.fromEntries([...this.alertsByDay].sort(([a], [b]) => a.localeCompare(b))),
      fraudFound: this.fraudFound,
      precision: this.alerts === 0 ? null : this.fraudFound / this.alerts,
      recall: labelledFraud === 0 ? null : this.fraudFound / labelledFraud,
      fraudPolicyMissed: this.fraudPolicyMissed,
    };
  }
}

export class BacktestService {
  constructor(
    private readonly repository: BacktestRepository,
    private readonly pageSize = PAGE_SIZE,
  ) {}

  async run(
    rules: readonly CompiledRule[],
    window: BacktestWindow,
    onProgress: BacktestProgress = () => undefined,
  ): Promise<BacktestReport> {
    const total = await this.repository.countScores(window.from, window.to);
    const featureNames = await this.repository.featureNames();
    const tallies = rules.map((rule) => new Tally(rule.id));
    const set = new Tally('all rules');
    let transactions = 0;
    let withoutFeatures = 0;
    let labelledFraud = 0;
    let labelledLegitimate = 0;
    let fraudFlaggedByPolicy = 0;
    onProgress(0, total);
    for await (const page of this.repository.scores(window.from, window.to, this.pageSize)) {
      for (const row of page) {
        const names = row.feature_set === null ? undefined : featureNames.get(row.feature_set);
        if (!row.features || !names) withoutFeatures += 1;
        const context = ruleContext(row, names);
        const fraud = row.label === 'fraud';
        const policyFlagged = row.decision !== 'approve';
        if (fraud) {
          labelledFraud += 1;
          if (policyFlagged) fraudFlaggedByPolicy += 1;
        } else if (row.label === 'legitimate') labelledLegitimate += 1;
        const day = row.occurred_at.toISOString().slice(0, 10);
        let alerted = false;
        rules.forEach((rule, index) => {
          if (!rule.fires(context)) return;
          alerted = true;
          tallies[index]!.count(day, fraud, policyFlagged);
        });
        if (alerted) set.count(day, fraud, policyFlagged);
      }
      transactions += page.length;
      onProgress(transactions, Math.max(total, transactions));
    }
    const days = (window.to.getTime() - window.from.getTime()) / DAY_MS;
    return {
      window: { from: window.from.toISOString(), to: window.to.toISOString(), days },
      transactions,
      withoutFeatures,
      labelledFraud,
      labelledLegitimate,
      fraudFlaggedByPolicy,
      rules: tallies.map((tally) => tally.result(days, labelledFraud)),
      set: set.result(days, labelledFraud),
    };
  }
}

/**
 * The `tx` and `f` a rule sees. `tx` is rebuilt from the score's columns: the full record lives in ingest's
 * schema, which the scorer does not read. `f` zips the feature set's names with the stored values, as the
 * scorer's feature record does for the vector it scores.
 */
export function ruleContext(row: ScoredTransactionRow, names: readonly string[] | undefined): RuleContext {
  const tx = {
    transaction_id: row.transaction_id,
    type: row.type,
    amount: amountText(row.amount, row.currency),
    currency: row.currency,
    timestamp: row.occurred_at.toISOString(),
    region: row.region,
    ...(row.partner_id === null ? {} : { partner_id: row.partner_id }),
    origin: { account: row.origin_account },
    ...(row.destination_account === null ? {} : { destination: { account: row.destination_account } }),
  } as Transaction;
  const f: Record<string, number> = {};
  if (row.features && names) names.forEach((name, i) => (f[name] = row.features![i]!));
  return { tx, f };
}

/**
 * The stored amount (numeric, four places) written with the currency's minor units, more only when the value
 * needs them: "125.5000" NGN reads "125.50", as submitters and the generators write it, so a rule comparing
 * `tx.amount` as text sees what the scorer saw for such records.
 */
export function amountText(stored: string, currency: string): string {
  const [whole, fraction = ''] = stored.split('.');
  const minorUnits = (CURRENCY_MINOR_UNITS as Record<string, number>)[currency] ?? 2;
  const digits = fraction.replace(/0+$/, '').padEnd(minorUnits, '0');
  return digits === '' ? whole! : `${whole}.${digits}`;
}
