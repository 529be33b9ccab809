import { FEATURE_NAMES, feature, newFeatureVector } from '../features/features.js';
import { DEFAULT_PARAMETERS, predictProbability, train } from './gbdt.js';
import { FraudModel, versionOf, type ModelArtifact } from './model-artifact.js';

// a model trained elsewhere on two of the scorer's features, in its own order
function twoFeatureModel(): ModelArtifact {
  const rows: Float64Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 400; i++) {
    const velocity = i % 7;
    const amount = (i * 37) % 11;
    rows.push(Float64Array.of(velocity, amount));
    labels.push(velocity >= 5 && amount >= 6 ? 1 : 0);
  }
  const parameters = { ...DEFAULT_PARAMETERS, rounds: 30 };
  const model = train(rows, Uint8Array.from(labels), parameters);
  const features = ['out_count_1h', 'log_amount'];
  return {
    version: versionOf(model, parameters, features),
    kind: 'gbdt',
    features,
    parameters,
    trained_on: { source: 'test', records: rows.length, fraud: labels.filter(Boolean).length },
    model,
  };
}

describe('FraudModel', () => {
  it("hands a model the features it names, by name, from the scorer's vector", () => {
    const artifact = twoFeatureModel();
    const model = FraudModel.from(artifact);
    const vector = newFeatureVector();
    vector[FEATURE_NAMES.indexOf('log_amount')] = 9;
    vector[FEATURE_NAMES.indexOf('out_count_1h')] = 6;
    expect(feature(vector, 'log_amount')).toBe(9);
    expect(model.probability(vector)).toBe(predictProbability(artifact.model, [6, 9]));
    expect(model.probability(vector)).toBeGreaterThan(0.5);
    const contributions = model.contributions(vector);
    expect([...contributions.keys()].every((name) => artifact.features.includes(name))).toBe(true);
  });

  it('refuses a model that needs a feature the scorer does not compute, naming it', () => {
    const artifact = { ...twoFeatureModel(), features: ['out_count_1h', 'shoe_size'] };
    expect(() => FraudModel.from(artifact)).toThrow(/does not compute: shoe_size/);
  });
});
