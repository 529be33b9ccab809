// Judges closed data-quality windows for pass-rate anomalies and announces each on dq.anomaly.<source>. One
// replica at a time does it (a transaction-level advisory lock); each window is judged once.
import { Inject, Injectable } from '@nestjs/common';
import { Events } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';
import { JetStreamPublisher } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import type pg from 'pg';
import { RuleSetService } from '../rules/rule-set.service.js';
import { sourceToken } from '../schemas/drift.service.js';
import { judgeWindow, type Baseline } from './anomaly.js';

/** A window is judged once it has been closed this long: verdicts are counted at commit, so none arrive later. */
const CLOSED_AFTER_MS = 75_000;
const BATCH = 500;

const tryLock = sql(
  'validator.try_anomaly_lock',
  `SELECT pg_try_advisory_xact_lock(hashtext('validator.dq_anomaly')) AS locked`,
);
const closedWindows = sql(
  'validator.closed_dq_windows',
  `SELECT to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS window_start, source, region,
          records, passed
     FROM validator.dq_windows
    WHERE evaluated_at IS NULL AND window_start < $1
    ORDER BY window_start, source, region
    LIMIT $2`,
);
const windowFailures = sql(
  'validator.dq_window_failures',
  `SELECT rule_id, failures FROM validator.dq_rule_failures WHERE window_start = $1 AND source = $2 AND region = $3`,
);
const baselinesOf = sql(
  'validator.dq_baselines',
  `SELECT source, region, mean, variance, windows FROM validator.dq_baselines
    WHERE (source, region) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
);
const markJudged = sql(
  'validator.mark_dq_window_judged',
  `UPDATE validator.dq_windows w SET evaluated_at = now(), expected_pass_rate = j.expected, anomaly = j.anomaly
     FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[], $5::bool[])
          AS j(window_start, source, region, expected, anomaly)
    WHERE w.window_start = j.window_start AND w.source = j.source AND w.region = j.region`,
);
const saveBaselines = sql(
  'validator.save_dq_baselines',
  `INSERT INTO validator.dq_baselines AS b (source, region, mean, variance, windows, last_window_start)
   SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::int[], $6::timestamptz[])
   ON CONFLICT (source, region) DO UPDATE SET mean = excluded.mean, variance = excluded.variance,
     windows = excluded.windows, last_window_start = excluded.last_window_start`,
);

interface WindowRow {
  window_start: string;
  source: string;
  region: string;
  records: number;
  passed: number;
}

@Injectable()
export class AnomalyService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(RuleSetService) private readonly rules: RuleSetService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Judges the windows closed by `now`; returns how many were judged and how many were anomalies. */
  async judgeClosedWindows(now = new Date()): Promise<{ judged: number; anomalies: number }> {
    return this.db.transaction(async (client) => {
      const { rows: lock } = await client.query<{ locked: boolean }>(tryLock.text);
      if (!lock[0]?.locked) return { judged: 0, anomalies: 0 };
      const { rows: windows } = await client.query<WindowRow>(closedWindows.text, [
        new Date(now.getTime() - CLOSED_AFTER_MS),
        BATCH,
      ]);
      if (windows.length === 0) return { judged: 0, anomalies: 0 };
      const baselines = await this.baselines(client, windows);
      const settings = this.rules.engine().ruleSet.anomaly;
      const judged: { window: WindowRow; expected: number; anomaly: boolean }[] = [];
      let anomalies = 0;
      for (const window of windows) {
        const key = `${window.source}\u0000${window.region}`;
        const result = judgeWindow(baselines.get(key), window.records, window.passed, settings);
        baselines.set(key, result.next);
        judged.push({ window, expected: result.expected, anomaly: result.anomaly });
        if (result.anomaly) {
          anomalies++;
          await this.announce(client, window, result.expected);
        }
      }
      await client.query(markJudged.text, [
        judged.map((j) => j.window.window_start),
        judged.map((j) => j.window.source),
        judged.map((j) => j.window.region),
        judged.map((j) => j.expected),
        judged.map((j) => j.anomaly),
      ]);
      const latest = new Map(judged.map((j) => [`${j.window.source}\u0000${j.window.region}`, j.window]));
      const entries = [...latest.entries()].map(([key, window]) => ({
        window,
        baseline: baselines.get(key)!,
      }));
      await client.query(saveBaselines.text, [
        entries.map((e) => e.window.source),
        entries.map((e) => e.window.region),
        entries.map((e) => e.baseline.mean),
        entries.map((e) => e.baseline.variance),
        entries.map((e) => e.baseline.windows),
        entries.map((e) => e.window.window_start),
      ]);
      return { judged: judged.length, anomalies };
    });
  }

  private async baselines(client: pg.PoolClient, windows: WindowRow[]): Promise<Map<string, Baseline>> {
    const pairs = [...new Map(windows.map((w) => [`${w.source}\u0000${w.region}`, w])).values()];
    const { rows } = await client.query<{
      source: string;
      region: string;
      mean: number;
      variance: number;
      windows: number;
    }>(baselinesOf.text, [pairs.map((p) => p.source), pairs.map((p) => p.region)]);
    return new Map(
      rows.map((r) => [
        `${r.source}\u0000${r.region}`,
        { mean: r.mean, variance: r.variance, windows: r.windows },
      ]),
    );
  }

  /** Published inside the transaction that marks the window judged: if that fails, the retry reuses the message id. */
  private async announce(client: pg.PoolClient, window: WindowRow, expected: number): Promise<void> {
    const { rows } = await client.query<{ rule_id: string; failures: number }>(windowFailures.text, [
      window.window_start,
      window.source,
      window.region,
    ]);
    const start = new Date(window.window_start);
    await this.publisher.publish(
      Events.dataQualityAnomaly,
      sourceToken(window.source),
      {
        source: window.source,
        region: window.region,
        window_start: start.toISOString(),
        window_end: new Date(start.getTime() + 60_000).toISOString(),
        records: window.records,
        pass_rate: window.passed / window.records,
        expected_pass_rate: Math.min(1, Math.max(0, expected)),
        failures: Object.fromEntries(rows.map((r) => [r.rule_id, r.failures])),
        detected_at: new Date().toISOString(),
      },
      { msgId: `${sourceToken(window.source)}:${window.region}:${window.window_start}` },
    );
    this.logger.warn(
      {
        source: window.source,
        region: window.region,
        window: window.window_start,
        passRate: window.passed / window.records,
      },
      'data-quality anomaly',
    );
  }
}
