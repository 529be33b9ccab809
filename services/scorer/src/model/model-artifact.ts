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

/**
 * A model ready to score. It names the features it was trained on; the scorer hands it those, by name, from the
 * vector it computes, so a model trained on an earlier or narrower feature list keeps working. A model naming a
 * feature this build does not compute is refused.
 */
export class FraudModel {
  /** Where each of the model's features sits in the scorer's vector; undefined when the lists are the same. */
  private readonly picks: Int32Array | undefined;
  private readonly picked: Float64Array;

  private constructor(readonly artifact: ModelArtifact) {
    const same = artifact.features.join(',') === FEATURE_NAMES.join(',');
    this.picks = same
      ? undefined
      : Int32Array.from(artifact.features, (name) => (FEATURE_NAMES as readonly string[]).indexOf(name));
    this.picked = new Float64Array(artifact.features.length);
  }

  static from(artifact: ModelArtifact): FraudModel {
    const unknown = artifact.features.filter((name) => !(FEATURE_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0) {
      throw new Error(
        `model ${artifact.version} needs features this scorer does not compute: ${unknown.join(', ')}`,
      );
    }
    return new FraudModel(artifact);
  }

  get version(): string {
    return this.artifact.version;
  }

  /** The model's probability for a vector in the scorer's feature order (FEATURE_NAMES). */
  probability(features: ArrayLike<number>): number {
    if (!this.picks) return predictProbability(this.artifact.model, features);
    for (let i = 0; i < this.picks.length; i++) this.picked[i] = features[this.picks[i]!]!;
    return predictProbability(this.artifact.model, this.picked);
  }
}

/** The version names the content: the same data and parameters always give the same version. */
export function versionOf(
  model: BoostedTrees,
  parameters: TrainingParameters,
  features: readonly string[] = FEATURE_NAMES,
): string {
  const digest = createHash('sha256').update(JSON.stringify({ features, parameters, model })).digest('hex');
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
