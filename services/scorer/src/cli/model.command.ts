// `model train` fits the fraud model on labelled generated data; `model evaluate` reports how a
// model ranks fraud on any labelled dataset (generated NDJSON or a PaySim CSV).
import { parseArgs } from 'node:util';
import { readLabelled } from '../evaluation/dataset.js';
import { evaluate, featuresOf, formatEvaluation } from '../evaluation/evaluate.js';
import { DEFAULT_PARAMETERS, predictProbability, train } from '../model/gbdt.js';
import {
  FraudModel,
  loadArtifact,
  saveArtifact,
  versionOf,
  type ModelArtifact,
} from '../model/model-artifact.js';
import { FEATURE_NAMES } from '../features/features.js';

export const MODEL_USAGE = `Usage:
  model train --input <train.ndjson> [--holdout <test.ndjson>] [--out <dir>] [--rounds <n>]
  model evaluate --model <artifact.json> --input <file.ndjson|paysim.csv> [--budget <n>] [--threshold <t>]

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
        model: { type: 'string' },
        budget: { type: 'string' },
        threshold: { type: 'string' },
      },
    });
    if (command === 'train') return await trainCommand(values, io);
    if (command === 'evaluate') return await evaluateCommand(values, io);
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

async function trainCommand(values: Record<string, unknown>, io: ModelIo): Promise<number> {
  const input = required(values, 'input');
  const out = typeof values.out === 'string' ? values.out : 'models';
  const parameters = { ...DEFAULT_PARAMETERS, rounds: positive(values, 'rounds', DEFAULT_PARAMETERS.rounds) };
  const started = Date.now();
  const data = await readLabelled(input);
  const fraud = data.filter((d) => d.isFraud).length;
  io.stderr.write(`train: ${data.length.toLocaleString('en-US')} records (${fraud} fraud) from ${input}\n`);
  const rows = featuresOf(data);
  const labels = Uint8Array.from(data, (d) => (d.isFraud ? 1 : 0));
  const model = train(rows, labels, parameters, (round, loss) => {
    if (round % 25 === 0 || round === parameters.rounds) {
      io.stderr.write(`train: round ${round}/${parameters.rounds}, log-loss ${loss.toFixed(5)}\n`);
    }
  });
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
