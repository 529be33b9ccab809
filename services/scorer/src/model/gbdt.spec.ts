import { contributions, predictProbability, train } from './gbdt.js';

/** Fraud only when both signals are present: an interaction no single threshold separates. */
function interactionData(): { rows: number[][]; labels: Uint8Array } {
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 400; i++) {
    const a = i % 2;
    const b = Math.floor(i / 2) % 2;
    rows.push([a, b, (i * 7) % 13]);
    labels.push(a && b ? 1 : 0);
  }
  return { rows, labels: Uint8Array.from(labels) };
}

const parameters = { rounds: 30, maxDepth: 3, learningRate: 0.3, lambda: 1, minChildWeight: 1, maxBins: 16 };

describe('gradient-boosted trees', () => {
  it('learns an interaction of two signals and ignores a noise feature', () => {
    const { rows, labels } = interactionData();
    const model = train(rows, labels, parameters);

    expect(predictProbability(model, [1, 1, 5])).toBeGreaterThan(0.9);
    expect(predictProbability(model, [1, 0, 5])).toBeLessThan(0.1);
    expect(predictProbability(model, [0, 1, 5])).toBeLessThan(0.1);
    const credit = contributions(model, [1, 1, 5]);
    expect((credit.get(0) ?? 0) + (credit.get(1) ?? 0)).toBeGreaterThan(Math.abs(credit.get(2) ?? 0));
  });

  it('trains the same trees from the same data', () => {
    const { rows, labels } = interactionData();
    expect(JSON.stringify(train(rows, labels, parameters))).toBe(
      JSON.stringify(train(rows, labels, parameters)),
    );
  });
});
