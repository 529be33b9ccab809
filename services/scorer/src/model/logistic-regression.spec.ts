import fc from 'fast-check';
import { fitLogisticRegression, predictLogistic } from './logistic-regression.js';

/** Rows whose labels follow a known logistic model, drawn deterministically. */
function fromKnownModel(weights: number[], intercept: number, count: number) {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const rows: number[][] = [];
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const x = weights.map(() => 4 * next() - 2);
    const z = intercept + x.reduce((s, v, j) => s + v * weights[j]!, 0);
    rows.push(x);
    labels[i] = next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { rows, labels };
}

describe('logistic regression', () => {
  it('recovers the coefficients of the model that drew the labels', () => {
    const { rows, labels } = fromKnownModel([2, -1, 0], -0.5, 20_000);
    const model = fitLogisticRegression(rows, labels, { c: 1e6 });
    // coefficients are on standardised features: undo the scaling to compare
    const raw = model.weights.map((w, j) => w / model.scales[j]!);
    expect(raw[0]).toBeCloseTo(2, 1);
    expect(raw[1]).toBeCloseTo(-1, 1);
    expect(Math.abs(raw[2]!)).toBeLessThan(0.1);
    expect(predictLogistic(model, [0, 0, 0])).toBeCloseTo(1 / (1 + Math.exp(0.5)), 1);
  });

  it('standardises, so a feature in other units gets the same fit', () => {
    const { rows, labels } = fromKnownModel([1.5, 0.5], 0, 3_000);
    const scaled = rows.map(([a, b]) => [a! * 1_000, b!]);
    const plain = fitLogisticRegression(rows, labels);
    const inThousands = fitLogisticRegression(scaled, labels);
    expect(inThousands.weights[0]).toBeCloseTo(plain.weights[0]!, 8);
    expect(predictLogistic(inThousands, scaled[7]!)).toBeCloseTo(predictLogistic(plain, rows[7]!), 8);
  });

  it('shrinks the coefficients as C gets smaller and survives separable data and constant features', () => {
    const rows = [
      [0, 5],
      [1, 5],
      [2, 5],
      [3, 5],
    ];
    const labels = Uint8Array.from([0, 0, 1, 1]);
    const loose = fitLogisticRegression(rows, labels, { c: 10 });
    const tight = fitLogisticRegression(rows, labels, { c: 0.1 });
    expect(loose.weights[0]).toBeGreaterThan(tight.weights[0]!);
    expect(tight.weights[0]).toBeGreaterThan(0);
    expect(loose.weights[1]).toBe(0);
    expect(predictLogistic(loose, [3, 5])).toBeGreaterThan(predictLogistic(loose, [0, 5]));
  });

  it('is at its optimum: the penalised gradient vanishes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.boolean()), {
          minLength: 4,
          maxLength: 60,
        }),
        (points) => {
          const rows = points.map(([x]) => [x]);
          const labels = Uint8Array.from(points, ([, y]) => (y ? 1 : 0));
          const model = fitLogisticRegression(rows, labels, { c: 1 });
          let gradientW = model.weights[0]!;
          let gradientB = 0;
          rows.forEach((x, i) => {
            const r = predictLogistic(model, x) - labels[i]!;
            gradientW += (r * (x[0]! - model.means[0]!)) / model.scales[0]!;
            gradientB += r;
          });
          expect(Math.abs(gradientW)).toBeLessThan(1e-5);
          expect(Math.abs(gradientB)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 50, seed: 7 },
    );
  });
});
