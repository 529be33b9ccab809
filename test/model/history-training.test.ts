// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Detection learnt from the customer's own history, through the running suite: a card history (the Handbook's
// simulator, scaled down) is replayed day by day in event time with each fraud labelled 7 days after it, as
// chargebacks arrive. The scores the suite computed online must equal the offline evaluation of the same records
// (same feature vectors, same scores), and `model train --from-db` must learn from what the suite stored exactly
// what the offline protocol learns from the same records.
import 'reflect-metadata';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScoringPolicy, Transaction } from '@vigil/contracts';
import { replayHistory } from '../../scripts/lib/history-replay.js';
import { generateCardTransactions } from '../../services/ingest/src/generator/card/index.js';
import { runModelCommand } from '../../services/scorer/src/cli/model.command.js';
import { featuresOf } from '../../services/scorer/src/evaluation/evaluate.js';
import { FEATURE_NAMES, FEATURE_SET } from '../../services/scorer/src/features/features.js';
import { FraudModel, loadArtifact, loadModels } from '../../services/scorer/src/model/model-artifact.js';
import { compilePolicy } from '../../services/scorer/src/policy/scoring-policy.js';
import { assessRisk } from '../../services/scorer/src/scoring/risk-engine.js';
import { trainOnHistory, type HistoryReport } from '../../services/scorer/src/training/history-training.js';
import type { StoredScore } from '../../services/scorer/src/training/training-set.repository.js';
import { tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

const DAY_MS = 86_400_000;
const DELAY_MS = 7 * DAY_MS;
// 24 days ending well before today, so every label's time (7 days after its payment) is in the past
const START_MS = (Math.floor(Date.now() / DAY_MS) - 40) * DAY_MS;
const records = [
  ...generateCardTransactions({ seed: 5, days: 24, customers: 300, terminals: 600, startTime: START_MS }),
];
const isFraud = (r: (typeof records)[number]) => r.labels.is_fraud;

describe('training on history: card payments replayed through the suite with late labels', () => {
  let suite: Suite;
  let stored: Map<string, { features: number[]; score: number; feature_set: string }>;

  beforeAll(async () => {
    suite = await Suite.start();
    const result = await replayHistory(records, {
      gatewayUrl: suite.gatewayUrl,
      token: await tokenFor(suite.gatewayUrl, 'admin'),
      databaseUrl: suite.db.url,
      labelDelayMs: DELAY_MS,
    });
    expect(result).toMatchObject({ submitted: records.length, scored: records.length, quarantined: 0 });
    expect(result.labelled).toBe(records.filter(isFraud).length);
    const rows = await suite.db.query<{
      transaction_id: string;
      features: number[];
      score: string;
      feature_set: string;
    }>('SELECT transaction_id, features, score, feature_set FROM scorer.scores');
    stored = new Map(rows.map((r) => [r.transaction_id, { ...r, score: Number(r.score) }]));
  }, 600_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it('stores, with every score, the feature vector the offline evaluation computes for the same record', () => {
    const offline = featuresOf(
      records.map((r) => ({ transaction: r as unknown as Transaction, isFraud: isFraud(r) })),
      { labelDelayMs: DELAY_MS },
    );
    expect(stored.size).toBe(records.length);
    let differing = 0;
    records.forEach((record, i) => {
      const online = stored.get(record.transaction_id)!;
      expect(online.feature_set).toBe(FEATURE_SET);
      const at = online.features.findIndex((value, f) => value !== offline[i]![f]);
      if (at >= 0 && differing++ < 5)
        process.stdout.write(
          `${record.transaction_id} ${FEATURE_NAMES[at]}: online ${online.features[at]} offline ${offline[i]![at]}\n`,
        );
    });
    expect(differing).toBe(0);
    // the confirmed-fraud features did their work online: some payments were scored knowing of fraud at their terminal
    const known = FEATURE_NAMES.indexOf('dest_fraud_known_30d');
    expect([...stored.values()].filter((s) => s.features[known]! > 0).length).toBeGreaterThan(50);
  });

  it('scores online exactly as the offline evaluation scores the same records', async () => {
    const policy = JSON.parse(
      readFileSync(new URL('../../services/scorer/policy/default-policy.json', import.meta.url), 'utf8'),
    ) as ScoringPolicy;
    const models = await loadModels(new URL('../../services/scorer/models', import.meta.url).pathname);
    const compiled = compilePolicy(policy, 1, models);
    const offline = featuresOf(
      records.map((r) => ({ transaction: r as unknown as Transaction, isFraud: isFraud(r) })),
      { labelDelayMs: DELAY_MS },
    );
    const mismatches = records.filter(
      (record, i) =>
        assessRisk(record as unknown as Transaction, offline[i]!, compiled).score !==
        stored.get(record.transaction_id)!.score,
    );
    expect(mismatches.map((r) => r.transaction_id)).toEqual([]);
  });

  it('trains from the stored history what the offline protocol trains from the same records', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vigil-history-'));
    const reportPath = join(out, 'report.json');
    const from = new Date(START_MS + 3 * DAY_MS).toISOString();
    const to = new Date(START_MS + 24 * DAY_MS).toISOString();
    const output: string[] = [];
    const io = {
      stdout: { write: (t: string) => output.push(t) },
      stderr: { write: (t: string) => output.push(t) },
    };
    const code = await runModelCommand(
      [
        'train',
        '--from-db',
        '--from',
        from,
        '--to',
        to,
        '--delay',
        '7d',
        '--database-url',
        suite.db.url,
        '--out',
        out,
        '--report',
        reportPath,
      ],
      io,
    );
    process.stdout.write(output.join(''));
    expect(code).toBe(0);
    const fromDb = JSON.parse(readFileSync(reportPath, 'utf8')) as HistoryReport & { model: string };
    expect(fromDb.folds).toHaveLength(1);
    expect(fromDb.folds[0]!.results.map((r) => r.model)).toEqual([
      'logistic regression, 15 textbook features',
      'gbdt (ours), stored features',
    ]);

    // the same protocol on the records themselves, their labels known 7 days after each fraud
    const offlineVectors = featuresOf(
      records.map((r) => ({ transaction: r as unknown as Transaction, isFraud: isFraud(r) })),
      { labelDelayMs: DELAY_MS },
    );
    const offline: StoredScore[] = records
      .map((r, i) => {
        const at = Date.parse(r.timestamp);
        return {
          transactionId: r.transaction_id,
          occurredAt: at,
          partnerId: null,
          originAccount: r.origin.account,
          destinationAccount: r.destination.account,
          amount: Number(r.amount),
          features: Array.from(offlineVectors[i]!),
          featureSet: FEATURE_SET,
          label: isFraud(r) ? ('fraud' as const) : null,
          labelledAt: isFraud(r) ? at + DELAY_MS : null,
        };
      })
      .filter((s) => s.occurredAt >= START_MS + 3 * DAY_MS - 30 * DAY_MS)
      .sort(
        (a, b) =>
          a.occurredAt - b.occurredAt ||
          (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0),
      );
    const expected = trainOnHistory(offline, new Map([[FEATURE_SET, FEATURE_NAMES]]), {
      ...fromDb.protocol,
    });
    const figures = (r: HistoryReport) =>
      r.folds.flatMap((f) =>
        f.results.map((m) => [m.model, m.rocAuc, m.averagePrecision, m.cardPrecision.mean]),
      );
    expect(figures(fromDb)).toEqual(figures(expected.report));
    expect(fromDb.folds[0]!.test).toEqual(expected.report.folds[0]!.test);

    // the model it wrote loads into the scorer and is the one the figures describe
    const [file] = readdirSync(out).filter((f) => f.startsWith('gbdt-'));
    const model = FraudModel.from(await loadArtifact(join(out, file!)));
    expect(model.version).toBe(fromDb.model);
    expect(model.artifact.features).toEqual([...FEATURE_NAMES]);
  }, 300_000);
});
