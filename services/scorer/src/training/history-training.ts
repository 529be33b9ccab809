// Training on the customer's own history, evaluated prequentially: train on a window of stored scores, skip the
// label delay, test on the next window, roll forward. The trees learn from the feature vectors stored with the
// scores (what the scorer knew when it scored); a training label counts only if it was given before the test
// window starts, as it would have been when the model was trained. Beside them, logistic regression on the
// Handbook's 15 textbook features, computed from the same stored transactions, on the same split.
import { partnerScoped } from '@vigil/contracts';
import {
  CARD_GBDT_PARAMETERS,
  figuresOf,
  trainCardTrees,
  type CardMatrices,
  type ModelFigures,
} from '../evaluation/card-evaluation.js';
import { cardFeatures, type CardPayment } from '../evaluation/card-features.js';
import { atAlertBudget, type AtBudget } from '../evaluation/metrics.js';
import { MISSING } from '../features/features.js';
import { predictProbability, type BoostedTrees, type TrainingParameters } from '../model/gbdt.js';
import { fitLogisticRegression, predictLogistic } from '../model/logistic-regression.js';
import type { StoredScore } from './training-set.repository.js';

export const DAY_MS = 86_400_000;

export interface HistoryProtocol {
  /** The first training window starts here; history before it only warms the textbook features. */
  fromMs: number;
  /** No window reaches past this. */
  toMs: number;
  trainDays: number;
  delayDays: number;
  testDays: number;
  /** Alerts a day for card precision@k. */
  topK: number;
  /** Alerts over a whole test window for precision at an alert budget. */
  budget: number;
}

export interface FoldReport {
  train: { from: string; to: string; scores: number; fraud: number; fraudNotYetKnown: number };
  test: { from: string; to: string; scores: number; fraud: number; removedKnownCards: number };
  results: (ModelFigures & { atBudget: AtBudget })[];
}

export interface HistoryReport {
  protocol: HistoryProtocol & { from: string; to: string };
  /** The stored feature set the trees used, and how many scores had no vector (older than the feature store). */
  featureSet: string;
  features: readonly string[];
  scoresRead: number;
  scoresWithoutFeatures: number;
  folds: FoldReport[];
  /** Per model, the mean over folds. */
  mean: {
    model: string;
    rocAuc: number;
    averagePrecision: number;
    cardPrecision: number;
    precisionAtBudget: number;
  }[];
}

export interface HistoryTraining {
  report: HistoryReport;
  /** The last fold's trees: the model the last figures describe. */
  model: BoostedTrees;
  parameters: TrainingParameters;
  names: readonly string[];
}

export const LOGISTIC_MODEL = 'logistic regression, 15 textbook features';
export const TREES_MODEL = 'gbdt (ours), stored features';

const iso = (ms: number) => new Date(ms).toISOString();

/** Vectors of every stored feature set, mapped by name onto `names` (a name a set lacks is MISSING). */
function vectorReader(
  sets: ReadonlyMap<string, readonly string[]>,
  names: readonly string[],
): (score: StoredScore) => Float64Array | undefined {
  const maps = new Map<string, Int32Array>();
  for (const [set, setNames] of sets)
    maps.set(
      set,
      Int32Array.from(names, (n) => setNames.indexOf(n)),
    );
  return (score) => {
    if (!score.features || !score.featureSet) return undefined;
    const map = maps.get(score.featureSet);
    if (!map) return undefined;
    return Float64Array.from(map, (at) => (at < 0 ? MISSING : (score.features![at] ?? MISSING)));
  };
}

/**
 * Folds over `scores` (in event order, from at least 30 days before `fromMs` so the textbook windows are warm).
 * Throws when no fold fits in [fromMs, toMs) or a window has no fraud.
 */
export function trainOnHistory(
  scores: readonly StoredScore[],
  sets: ReadonlyMap<string, readonly string[]>,
  protocol: HistoryProtocol,
  options: { parameters?: TrainingParameters; onProgress?: (message: string) => void } = {},
): HistoryTraining {
  const progress = options.onProgress ?? (() => undefined);
  const parameters = options.parameters ?? CARD_GBDT_PARAMETERS;
  const span = (protocol.trainDays + protocol.delayDays + protocol.testDays) * DAY_MS;
  if (protocol.fromMs + span > protocol.toMs) {
    throw new Error(
      `--from ${iso(protocol.fromMs)} to --to ${iso(protocol.toMs)} is shorter than one fold ` +
        `(${protocol.trainDays} training days, ${protocol.delayDays} days of delay, ${protocol.testDays} test days)`,
    );
  }
  // the newest feature set among the scores of the windows: what the scorer computes now
  let featureSet: string | undefined;
  let withoutFeatures = 0;
  for (const s of scores) {
    if (s.occurredAt < protocol.fromMs) continue;
    if (s.features && s.featureSet) featureSet = s.featureSet;
    else withoutFeatures++;
  }
  if (!featureSet) throw new Error('no score in the windows has a stored feature vector');
  const names = sets.get(featureSet)!;
  const vectorOf = vectorReader(sets, names);

  const payments: CardPayment[] = scores.map((s) => ({
    id: s.transactionId,
    atMs: s.occurredAt,
    amount: s.amount,
    card: partnerScoped(s.partnerId, s.originAccount),
    terminal: partnerScoped(s.partnerId, s.destinationAccount ?? s.originAccount),
    isFraud: s.label === 'fraud',
  }));
  const textbook = cardFeatures(payments, { delayDays: protocol.delayDays });
  progress(
    `the 15 textbook features of ${payments.length.toLocaleString('en-US')} stored transactions computed`,
  );

  const folds: FoldReport[] = [];
  let model: BoostedTrees | undefined;
  for (
    let trainStart = protocol.fromMs;
    trainStart + span <= protocol.toMs;
    trainStart += protocol.testDays * DAY_MS
  ) {
    const trainEnd = trainStart + protocol.trainDays * DAY_MS;
    const testStart = trainEnd + protocol.delayDays * DAY_MS;
    const testEnd = testStart + protocol.testDays * DAY_MS;
    const fold = runFold(scores, payments, textbook, vectorOf, {
      trainStart,
      trainEnd,
      testStart,
      testEnd,
      protocol,
      parameters,
      progress,
    });
    folds.push(fold.report);
    model = fold.model;
  }
  const models = folds[0]!.results.map((r) => r.model);
  const mean = models.map((name) => {
    const of = folds.map((f) => f.results.find((r) => r.model === name)!);
    const avg = (pick: (r: (typeof of)[number]) => number) =>
      of.reduce((sum, r) => sum + pick(r), 0) / of.length;
    return {
      model: name,
      rocAuc: avg((r) => r.rocAuc),
      averagePrecision: avg((r) => r.averagePrecision),
      cardPrecision: avg((r) => r.cardPrecision.mean),
      precisionAtBudget: avg((r) => r.atBudget.precision),
    };
  });
  return {
    report: {
      protocol: { ...protocol, from: iso(protocol.fromMs), to: iso(protocol.toMs) },
      featureSet,
      features: names,
      scoresRead: scores.length,
      scoresWithoutFeatures: withoutFeatures,
      folds,
      mean,
    },
    model: model!,
    parameters,
    names,
  };
}

interface FoldWindow {
  trainStart: number;
  trainEnd: number;
  testStart: number;
  testEnd: number;
  protocol: HistoryProtocol;
  parameters: TrainingParameters;
  progress: (message: string) => void;
}

function runFold(
  scores: readonly StoredScore[],
  payments: readonly CardPayment[],
  textbook: readonly Float64Array[],
  vectorOf: (score: StoredScore) => Float64Array | undefined,
  w: FoldWindow,
): { report: FoldReport; model: BoostedTrees } {
  const trainRows: number[] = [];
  const trainVectors: Float64Array[] = [];
  const testRows: number[] = [];
  const testVectors: Float64Array[] = [];
  // cards with a fraud known before a test day are that day's known compromised cards: left out, as in the Handbook
  const knownFraudByCard = new Map<string, number[]>();
  scores.forEach((s, i) => {
    if (s.label !== 'fraud' || s.labelledAt === null || s.occurredAt < w.trainStart) return;
    const card = payments[i]!.card;
    const list = knownFraudByCard.get(card) ?? [];
    list.push(s.labelledAt);
    knownFraudByCard.set(card, list);
  });
  let removedKnownCards = 0;
  let fraudNotYetKnown = 0;
  scores.forEach((s, i) => {
    if (s.occurredAt < w.trainStart || s.occurredAt >= w.testEnd) return;
    const vector = vectorOf(s);
    if (!vector) return;
    if (s.occurredAt < w.trainEnd) {
      trainRows.push(i);
      trainVectors.push(vector);
    } else if (s.occurredAt >= w.testStart) {
      const dayStart = w.testStart + Math.floor((s.occurredAt - w.testStart) / DAY_MS) * DAY_MS;
      if ((knownFraudByCard.get(payments[i]!.card) ?? []).some((at) => at < dayStart)) removedKnownCards++;
      else {
        testRows.push(i);
        testVectors.push(vector);
      }
    }
  });
  // a training label counts if it was known when this fold's model would have been trained
  const trainLabels = Uint8Array.from(trainRows, (i) => {
    const s = scores[i]!;
    const known = s.label === 'fraud' && s.labelledAt !== null && s.labelledAt <= w.testStart;
    if (s.label === 'fraud' && !known) fraudNotYetKnown++;
    return known ? 1 : 0;
  });
  const trainFraud = trainLabels.reduce((sum, y) => sum + y, 0);
  const test: CardMatrices['test'] = {
    rows: testVectors,
    labels: Uint8Array.from(testRows, (i) => (scores[i]!.label === 'fraud' ? 1 : 0)),
    days: testRows.map((i) => Math.floor((scores[i]!.occurredAt - w.testStart) / DAY_MS)),
    cards: testRows.map((i) => payments[i]!.card),
  };
  const testFraud = test.labels.reduce((sum, y) => sum + y, 0);
  w.progress(
    `fold: train ${iso(w.trainStart)} to ${iso(w.trainEnd)} (${trainRows.length} scores, ${trainFraud} fraud known), ` +
      `test ${iso(w.testStart)} to ${iso(w.testEnd)} (${testRows.length} scores, ${testFraud} fraud, ` +
      `${removedKnownCards} of known compromised cards removed)`,
  );
  if (trainFraud === 0 || testFraud === 0) {
    throw new Error(
      `the fold training from ${iso(w.trainStart)} has ${trainFraud} known fraud to learn from and ${testFraud} to find; ` +
        'both need some (label more transactions, or widen the windows)',
    );
  }

  const withBudget = (figures: ModelFigures, scored: readonly number[]) => ({
    ...figures,
    atBudget: atAlertBudget(
      scored.map((score, i) => ({ score, isFraud: test.labels[i] === 1 })),
      w.protocol.budget,
    ),
  });
  const logistic = fitLogisticRegression(
    trainRows.map((i) => textbook[i]!),
    trainLabels,
    { c: 1 },
  );
  const logisticScores = testRows.map((i) => predictLogistic(logistic, textbook[i]!));
  const trees = trainCardTrees(trainVectors, trainLabels, w.parameters, w.progress);
  const treeScores = testVectors.map((x) => predictProbability(trees.model, x));
  return {
    model: trees.model,
    report: {
      train: {
        from: iso(w.trainStart),
        to: iso(w.trainEnd),
        scores: trainRows.length,
        fraud: trainFraud,
        fraudNotYetKnown,
      },
      test: {
        from: iso(w.testStart),
        to: iso(w.testEnd),
        scores: testRows.length,
        fraud: testFraud,
        removedKnownCards,
      },
      results: [
        withBudget(figuresOf(LOGISTIC_MODEL, logisticScores, test, w.protocol.topK), logisticScores),
        withBudget(
          figuresOf(TREES_MODEL, treeScores, test, w.protocol.topK, { rounds: trees.rounds }),
          treeScores,
        ),
      ],
    },
  };
}

export function formatHistoryReport(report: HistoryReport): string {
  const k = report.protocol.topK;
  const header =
    `${'model'.padEnd(44)} ${'ROC AUC'.padStart(8)} ${'AP'.padStart(8)} ${`CP@${k}`.padStart(8)} ` +
    `${`P@${report.protocol.budget}`.padStart(8)}`;
  const lines = [
    `training on history: ${report.scoresRead.toLocaleString('en-US')} stored scores read, feature set ` +
      `${report.featureSet} (${report.features.length} features)` +
      (report.scoresWithoutFeatures > 0
        ? `, ${report.scoresWithoutFeatures} without a stored vector skipped`
        : ''),
  ];
  report.folds.forEach((fold, n) => {
    lines.push(
      `fold ${n + 1}: train ${fold.train.from} to ${fold.train.to} (${fold.train.scores} scores, ${fold.train.fraud} fraud), ` +
        `delay ${report.protocol.delayDays} d, test ${fold.test.from} to ${fold.test.to} (${fold.test.scores} scores, ` +
        `${fold.test.fraud} fraud; ${fold.test.removedKnownCards} of known compromised cards removed)`,
      header,
      ...fold.results.map(
        (r) =>
          `${r.model.padEnd(44)} ${r.rocAuc.toFixed(3).padStart(8)} ${r.averagePrecision.toFixed(3).padStart(8)} ` +
          `${r.cardPrecision.mean.toFixed(3).padStart(8)} ${r.atBudget.precision.toFixed(3).padStart(8)}`,
      ),
      `card precision@${k} per test day (trees): ${fold.results[1]!.cardPrecision.perDay.map((d) => d.precision.toFixed(2)).join(', ')}`,
    );
  });
  if (report.folds.length > 1) {
    lines.push(
      `mean over ${report.folds.length} folds`,
      header,
      ...report.mean.map(
        (m) =>
          `${m.model.padEnd(44)} ${m.rocAuc.toFixed(3).padStart(8)} ${m.averagePrecision.toFixed(3).padStart(8)} ` +
          `${m.cardPrecision.toFixed(3).padStart(8)} ${m.precisionAtBudget.toFixed(3).padStart(8)}`,
      ),
    );
  }
  return lines.join('\n');
}
