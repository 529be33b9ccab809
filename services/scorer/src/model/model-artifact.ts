// A trained model as a versioned, self-describing file: the trees, the feature list they expect,
// what they were trained on and how they scored on held-out data.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_NAMES } from '../features/features.js';
import { predictProbability, type BoostedTrees, type TrainingParameters } from './gbdt.js';

export interface ModelArtifact {
  version: string;
  kind: 'gbdt';
  features: string[];
  parameters: TrainingParameters;
  trained_on: { source: string; records: number; fraud: number };
  evaluation?: Record<string, unknown>;
  model: BoostedTrees;
}

/** A model ready to score: refuses to load when its features differ from the ones this build computes. */
export class FraudModel {
  private constructor(readonly artifact: ModelArtifact) {}

  static from(artifact: ModelArtifact): FraudModel {
    const expected = FEATURE_NAMES.join(',');
    if (artifact.features.join(',') !== expected) {
      throw new Error(
        `model ${artifact.version} was trained on features [${artifact.features.join(', ')}], this scorer computes [${FEATURE_NAMES.join(', ')}]`,
      );
    }
    return new FraudModel(artifact);
  }

  get version(): string {
    return this.artifact.version;
  }

  probability(features: ArrayLike<number>): number {
    return predictProbability(this.artifact.model, features);
  }
}

/** The version names the content: the same data and parameters always give the same version. */
export function versionOf(model: BoostedTrees, parameters: TrainingParameters): string {
  const digest = createHash('sha256')
    .update(JSON.stringify({ features: FEATURE_NAMES, parameters, model }))
    .digest('hex');
  return `gbdt-${digest.slice(0, 12)}`;
}

export async function saveArtifact(dir: string, artifact: ModelArtifact): Promise<string> {
  const path = join(dir, `${artifact.version}.json`);
  await writeFile(path, `${JSON.stringify(artifact)}\n`);
  return path;
}

export async function loadArtifact(path: string): Promise<ModelArtifact> {
  const artifact = JSON.parse(await readFile(path, 'utf8')) as ModelArtifact;
  if (artifact.kind !== 'gbdt' || typeof artifact.version !== 'string' || !artifact.model?.trees) {
    throw new Error(`${path} is not a model artifact`);
  }
  return artifact;
}

/** Every model in a folder, by version. */
export async function loadModels(dir: string): Promise<Map<string, FraudModel>> {
  const models = new Map<string, FraudModel>();
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const model = FraudModel.from(await loadArtifact(join(dir, file)));
    models.set(model.version, model);
  }
  return models;
}
