// `model train` fits the fraud model on labelled generated data; `model evaluate` reports how a
// model ranks fraud on any labelled dataset (generated NDJSON or a PaySim CSV); `model evaluate-cards`
// runs the Fraud Detection Handbook's protocol on card payments.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCardPayments, CARD_FEATURE_NAMES } from '../evaluation/card-features.js';
import {
  evaluateCards,
  formatCardReport,
  HANDBOOK_PROTOCOL,
  type CardMatrices,
  type PaymentFeatures,
  type ExternalScores,
} from '../evaluation/card-evaluation.js';
import { readLabelled } from '../evaluation/dataset.js';
import { evaluate, featuresOf, formatEvaluation } from '../evaluation/evaluate.js';
import { DEFAULT_PARAMETERS, predictProbability, train, type TrainingParameters } from '../model/gbdt.js';
import {
  FraudModel,
  loadArtifact,
  saveArtifact,
  versionOf,
  type ModelArtifact,
} from '../model/model-artifact.js';
import { FEATURE_NAMES } from '../features/features.js';

const DAY_MS = 86_400_000;

export const MODEL_USAGE = `Usage:
  model train --input <train.ndjson> [--holdout <test.ndjson>] [--out <dir>] [--rounds <n>]
              [--max-depth <n>] [--learning-rate <x>] [--bins <n>] [--scale-pos-weight <x>|balanced]
              [--subsample <x>] [--colsample <x>] [--seed <n>] [--validation-fraction <x>]
              [--early-stopping-rounds <n>]
  model evaluate --model <artifact.json> --input <file.ndjson|paysim.csv> [--budget <n>] [--threshold <t>]
  model evaluate-cards --in <cards.ndjson> [--train-days 7] [--delay-days 7] [--test-days 7] [--start-day <n>]
                       [--top-k 100] [--report <file.json>] [--export <dir>] [--scores <name>=<file>]...

evaluate-cards: the Handbook's 15 features computed point in time, a training week, a label delay and a
test week (the last that fits the data unless --start-day, counted from the first record's UTC day);
prints ROC AUC, average precision and card precision@k for logistic regression and our trees, and writes
the report (default card-evaluation.json). --export writes the training and test matrices as CSV (label
first) for another library; --scores adds that library's test scores (one per line) to the table.

Training is deterministic: the same input and options give the same model and version.`;

export interface ModelIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

class UsageError extends Error {}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function positive(values: Record<string, unknown>, name: string, fallback: number, integer = true): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

export async function runModelCommand(argv: readonly string[], io: ModelIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        input: { type: 'string' },
        holdout: { type: 'string' },
        out: { type: 'string' },
        rounds: { type: 'string' },
        'max-depth': { type: 'string' },
        'learning-rate': { type: 'string' },
        bins: { type: 'string' },
        'scale-pos-weight': { type: 'string' },
        subsample: { type: 'string' },
        colsample: { type: 'string' },
        seed: { type: 'string' },
        'validation-fraction': { type: 'string' },
        'early-stopping-rounds': { type: 'string' },
        model: { type: 'string' },
        budget: { type: 'string' },
        threshold: { type: 'string' },
        in: { type: 'string' },
        'train-days': { type: 'string' },
        'delay-days': { type: 'string' },
        'test-days': { type: 'string' },
        'start-day': { type: 'string' },
        'top-k': { type: 'string' },
        report: { type: 'string' },
        export: { type: 'string' },
        scores: { type: 'string', multiple: true },
        features: { type: 'string' },
      },
    });
    if (command === 'train') return await trainCommand(values, io);
    if (command === 'evaluate') return await evaluateCommand(values, io);
    if (command === 'evaluate-cards') return await evaluateCardsCommand(values, io);
    throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`model: ${(error as Error).message}\n\n${MODEL_USAGE}\n`);
      return 2;
    }
    io.stderr.write(`model: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The trainer's parameters from the options; only the options given are written into the artifact. */
function trainingParameters(values: Record<string, unknown>): TrainingParameters {
  const parameters: TrainingParameters = {
    ...DEFAULT_PARAMETERS,
    rounds: positive(values, 'rounds', DEFAULT_PARAMETERS.rounds),
    maxDepth: positive(values, 'max-depth', DEFAULT_PARAMETERS.maxDepth),
    learningRate: positive(values, 'learning-rate', DEFAULT_PARAMETERS.learningRate, false),
    maxBins: positive(values, 'bins', DEFAULT_PARAMETERS.maxBins),
  };
  const optional = (name: string, integer: boolean) =>
    values[name] === undefined ? undefined : positive(values, name, 0, integer);
  const weight = values['scale-pos-weight'];
  if (weight === 'balanced') parameters.scalePosWeight = 'balanced';
  else if (weight !== undefined) parameters.scalePosWeight = positive(values, 'scale-pos-weight', 1, false);
  const subsample = optional('subsample', false);
  const colsample = optional('colsample', false);
  const validation = optional('validation-fraction', false);
  const patience = optional('early-stopping-rounds', true);
  if (subsample !== undefined) parameters.subsample = subsample;
  if (colsample !== undefined) parameters.colsampleByTree = colsample;
  if (validation !== undefined) parameters.validationFraction = validation;
  if (patience !== undefined) parameters.earlyStoppingRounds = patience;
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0)
      throw new UsageError(`--seed must be a whole number, got ${JSON.stringify(values.seed)}`);
    parameters.seed = seed;
  }
  return parameters;
}

async function trainCommand(values: Record<string, unknown>, io: ModelIo): Promise<number> {
  const input = required(values, 'input');
  const out = typeof values.out === 'string' ? values.out : 'models';
  const parameters = trainingParameters(values);
  const started = Date.now();
  const data = await readLabelled(input);
  const fraud = data.filter((d) => d.isFraud).length;
  io.stderr.write(`train: ${data.length.toLocaleString('en-US')} records (${fraud} fraud) from ${input}\n`);
  const rows = featuresOf(data);
  const labels = Uint8Array.from(data, (d) => (d.isFraud ? 1 : 0));
  const model = train(rows, labels, parameters, (round, loss, report) => {
    if (round % 25 === 0 || round === parameters.rounds) {
      const validation = report.validation
        ? `, validation ${report.validation.metric} ${report.validation.value.toFixed(5)} (best ${report.validation.best.toFixed(5)} at round ${report.validation.bestRound})`
        : '';
      io.stderr.write(
        `train: round ${round}/${parameters.rounds}, log-loss ${loss.toFixed(5)}${validation}\n`,
      );
    }
  });
  if (model.trees.length < parameters.rounds) {
    io.stderr.write(`train: early stopping kept ${model.trees.length} of ${parameters.rounds} rounds\n`);
  }
  const artifact: ModelArtifact = {
    version: versionOf(model, parameters),
    kind: 'gbdt',
    features: [...FEATURE_NAMES],
    parameters,
    trained_on: { source: input, records: data.length, fraud },
    model,
  };
  if (typeof values.holdout === 'string') {
    const holdout = await readLabelled(values.holdout);
    const scores = featuresOf(holdout).map((x) => predictProbability(model, x));
    const result = evaluate(holdout, scores, positive(values, 'budget', 500), 0.5);
    artifact.evaluation = { source: values.holdout, ...result };
    io.stdout.write(`${formatEvaluation(`held-out ${values.holdout}`, result)}\n`);
  }
  const path = await saveArtifact(out, artifact);
  io.stdout.write(
    `model ${artifact.version} written to ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}

async function evaluateCommand(values: Record<string, unknown>, io: ModelIo): Promise<number> {
  const model = FraudModel.from(await loadArtifact(required(values, 'model')));
  const input = required(values, 'input');
  const data = await readLabelled(input);
  const scores = featuresOf(data).map((x) => model.probability(x));
  const result = evaluate(
    data,
    scores,
    positive(values, 'budget', 500),
    positive(values, 'threshold', 0.5, false),
  );
  io.stdout.write(`model ${model.version}\n${formatEvaluation(input, result)}\n`);
  return 0;
}

function wholeNumber(values: Record<string, unknown>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  }
  return value;
}

async function externalScores(specs: readonly string[]): Promise<ExternalScores> {
  const out: ExternalScores = {};
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0) throw new UsageError(`--scores takes <name>=<file>, got ${JSON.stringify(spec)}`);
    const lines = (await readFile(spec.slice(at + 1), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    out[spec.slice(0, at)] = lines.map((line, i) => {
      const score = Number(line);
      if (!Number.isFinite(score)) throw new Error(`${spec.slice(at + 1)}:${i + 1}: not a number`);
      return score;
    });
  }
  return out;
}

async function exportMatrices(
  dir: string,
  matrices: Pick<CardMatrices, 'train' | 'test'> & { names: readonly string[] },
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const header = `label,${matrices.names.join(',')}\n`;
  const csv = (rows: readonly Float64Array[], labels: Uint8Array) =>
    header + rows.map((x, i) => `${labels[i]},${Array.from(x).join(',')}`).join('\n') + '\n';
  await writeFile(join(dir, 'train.csv'), csv(matrices.train.rows, matrices.train.labels));
  await writeFile(join(dir, 'test.csv'), csv(matrices.test.rows, matrices.test.labels));
}

async function evaluateCardsCommand(values: Record<string, unknown>, io: ModelIo): Promise<number> {
  const input = typeof values.in === 'string' ? values.in : required(values, 'input');
  const startDay = wholeNumber(values, 'start-day');
  const protocol = {
    trainDays: positive(values, 'train-days', HANDBOOK_PROTOCOL.trainDays),
    delayDays: wholeNumber(values, 'delay-days') ?? HANDBOOK_PROTOCOL.delayDays,
    testDays: positive(values, 'test-days', HANDBOOK_PROTOCOL.testDays),
    topK: positive(values, 'top-k', HANDBOOK_PROTOCOL.topK),
    ...(startDay !== undefined ? { startDay } : {}),
  };
  const reportPath = typeof values.report === 'string' ? values.report : 'card-evaluation.json';
  const started = Date.now();
  const featureSet = values.features ?? 'online';
  if (featureSet !== 'online' && featureSet !== 'handbook') {
    throw new UsageError(`--features must be online or handbook, got ${JSON.stringify(featureSet)}`);
  }
  const payments = await readCardPayments(input);
  io.stderr.write(`evaluate-cards: ${payments.length.toLocaleString('en-US')} payments from ${input}\n`);
  let features: PaymentFeatures | undefined;
  if (featureSet === 'online') {
    // the scorer's own features, each fraud's label known `delay` days after it, as if posted then
    const rows = featuresOf(await readLabelled(input), { labelDelayMs: protocol.delayDays * DAY_MS });
    features = { names: FEATURE_NAMES, rows };
    io.stderr.write(`evaluate-cards: the scorer's ${FEATURE_NAMES.length} features computed\n`);
  }
  const external = await externalScores((values.scores as string[] | undefined) ?? []);
  const exportDir = typeof values.export === 'string' ? values.export : undefined;
  let exported: Promise<void> | undefined;
  const report = evaluateCards(payments, protocol, {
    ...(features ? { features } : {}),
    onProgress: (message) => io.stderr.write(`evaluate-cards: ${message}\n`),
    external: (train, test) => {
      if (exportDir) {
        exported = exportMatrices(exportDir, { train, test, names: features?.names ?? CARD_FEATURE_NAMES });
      }
      return external;
    },
  });
  await exported;
  if (exportDir) io.stderr.write(`evaluate-cards: training and test matrices written to ${exportDir}\n`);
  await writeFile(reportPath, `${JSON.stringify({ source: input, ...report }, null, 2)}\n`);
  io.stdout.write(
    `${formatCardReport(report)}\nreport written to ${reportPath} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
