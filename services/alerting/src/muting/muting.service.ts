// Whether an alert may be notified now: not while an active silence matches it, nor while an inhibition rule's
// source alert is firing with the same values of the rule's `equal` labels.
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { AlertRow } from '../alerts/alerts.repository.js';
import { run, type Tx } from '../db/tx.js';
import { matchesAll, parseMatchers, type Matcher } from '../policy/matchers.js';
import { routingLabels, type CompiledPolicy } from '../policy/policy.js';

const activeSilences = sql(
  'alerting.active_silences',
  `SELECT silence_id::text AS silence_id, matchers FROM alerting.silences WHERE starts_at <= $1 AND ends_at > $1`,
);
// candidates for an inhibition source: firing alerts that share the target's values of the `equal` labels
const inhibitionSources = sql(
  'alerting.inhibition_sources',
  `SELECT alert_id::text AS alert_id, source, severity, labels FROM alerting.alerts
    WHERE status <> 'resolved' AND labels @> $1::jsonb AND alert_id <> $2::uuid LIMIT 500`,
);

type Labelled = Pick<AlertRow, 'alert_id' | 'source' | 'severity' | 'labels'>;

/** A view of the silences and inhibitions at one instant; build one per pass. */
export class MuteCheck {
  private readonly sourceCache = new Map<string, Labelled[]>();

  constructor(
    private readonly silences: Matcher[][],
    private readonly policy: CompiledPolicy,
    private readonly findSources: (labels: Record<string, string>, excluding: string) => Promise<Labelled[]>,
  ) {}

  silenced(alert: Labelled): boolean {
    const labels = routingLabels(alert);
    return this.silences.some((matchers) => matchesAll(matchers, labels));
  }

  async inhibited(alert: Labelled): Promise<boolean> {
    const labels = routingLabels(alert);
    for (const rule of this.policy.inhibitRules) {
      if (!matchesAll(rule.target, labels)) continue;
      // source and severity are columns, not labels: compare those in code, the rest in SQL
      const stored = Object.fromEntries(
        rule.equal.filter((name) => name in alert.labels).map((name) => [name, alert.labels[name]!]),
      );
      const cacheKey = `${alert.alert_id}:${JSON.stringify(stored)}`;
      let sources = this.sourceCache.get(cacheKey);
      if (!sources)
        this.sourceCache.set(cacheKey, (sources = await this.findSources(stored, alert.alert_id)));
      const found = sources.some((source) => {
        const sourceLabels = routingLabels(source);
        return (
          matchesAll(rule.source, sourceLabels) &&
          rule.equal.every((name) => (sourceLabels[name] ?? '') === (labels[name] ?? ''))
        );
      });
      if (found) return true;
    }
    return false;
  }

  async muted(alert: Labelled): Promise<boolean> {
    return this.silenced(alert) || (await this.inhibited(alert));
  }
}

@Injectable()
export class MutingService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async check(policy: CompiledPolicy, now: Date, client?: Tx): Promise<MuteCheck> {
    const query = <R extends object>(q: ReturnType<typeof sql>, values: unknown[]) =>
      client ? run<R>(client, q, values) : this.db.query<R & Record<string, unknown>>(q, values);
    const silences = await query<{ matchers: string[] }>(activeSilences, [now]);
    return new MuteCheck(
      silences.map((s) => parseMatchers(s.matchers)),
      policy,
      (labels, excluding) => query<Labelled>(inhibitionSources, [JSON.stringify(labels), excluding]),
    );
  }
}
