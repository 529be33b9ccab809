// Gradient-boosted decision trees for binary log-loss: histogram splits on quantile bins, depth-limited
// trees, no sampling, so the same data and parameters always give the same model. Trees fit the
// thresholds and interactions of fraud signals (drain ∧ new payee ∧ burst) without feature scaling,
// and scoring is a few hundred comparisons: microseconds per transaction.

export interface TrainingParameters {
  rounds: number;
  maxDepth: number;
  learningRate: number;
  /** L2 regularisation of leaf values. */
  lambda: number;
  /** Smallest hessian sum a leaf may hold. */
  minChildWeight: number;
  maxBins: number;
}

export const DEFAULT_PARAMETERS: TrainingParameters = {
  rounds: 150,
  maxDepth: 5,
  learningRate: 0.15,
  lambda: 1,
  minChildWeight: 1,
  maxBins: 64,
};

/** One tree as parallel arrays; a node with feature -1 is a leaf holding `value`. */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostedTrees {
  baseMargin: number;
  trees: Tree[];
}

const sigmoid = (margin: number): number => 1 / (1 + Math.exp(-margin));

export function predictMargin(model: BoostedTrees, x: ArrayLike<number>): number {
  let margin = model.baseMargin;
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      node = x[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
    }
    margin += tree.value[node]!;
  }
  return margin;
}

export const predictProbability = (model: BoostedTrees, x: ArrayLike<number>): number =>
  sigmoid(predictMargin(model, x));

/** Split candidates per feature: up to maxBins - 1 quantile cut points of the observed values. */
function cutPoints(values: Float64Array, maxBins: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const cuts: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const v = sorted[Math.floor((b * sorted.length) / maxBins)]!;
    // cut between v and the next larger value so equal values stay together
    if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
  }
  // the largest value never needs a cut
  if (cuts.length > 0 && cuts[cuts.length - 1]! >= sorted[sorted.length - 1]!) cuts.pop();
  return cuts;
}

function binOf(value: number, cuts: number[]): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Trains on row-major features (`rows[i]` is one vector) and 0/1 labels. `onRound` reports progress.
 */
export function train(
  rows: readonly ArrayLike<number>[],
  labels: Uint8Array,
  parameters: TrainingParameters = DEFAULT_PARAMETERS,
  onRound?: (round: number, loss: number) => void,
): BoostedTrees {
  const n = rows.length;
  const featureCount = rows[0]?.length ?? 0;
  const cuts: number[][] = [];
  const bins: Uint8Array[] = [];
  for (let f = 0; f < featureCount; f++) {
    const column = new Float64Array(n);
    for (let i = 0; i < n; i++) column[i] = rows[i]![f]!;
    const c = cutPoints(column, parameters.maxBins);
    cuts.push(c);
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = binOf(column[i]!, c);
    bins.push(b);
  }
  const positives = labels.reduce((s, y) => s + y, 0);
  const prior = Math.min(Math.max(positives / Math.max(n, 1), 1e-6), 1 - 1e-6);
  const model: BoostedTrees = { baseMargin: Math.log(prior / (1 - prior)), trees: [] };
  const margins = new Float64Array(n).fill(model.baseMargin);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const all = Uint32Array.from({ length: n }, (_, i) => i);

  for (let round = 0; round < parameters.rounds; round++) {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margins[i]!);
      grad[i] = p - labels[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-12);
      loss -= labels[i] ? Math.log(Math.max(p, 1e-15)) : Math.log(Math.max(1 - p, 1e-15));
    }
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    grow(tree, all, 0, { bins, cuts, grad, hess, parameters, featureCount });
    model.trees.push(tree);
    for (let i = 0; i < n; i++) margins[i] = margins[i]! + leafValue(tree, rows[i]!);
    onRound?.(round + 1, loss / Math.max(n, 1));
  }
  return model;
}

function leafValue(tree: Tree, x: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = x[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

interface GrowContext {
  bins: Uint8Array[];
  cuts: number[][];
  grad: Float64Array;
  hess: Float64Array;
  parameters: TrainingParameters;
  featureCount: number;
}

/** Adds the subtree for `rows` to `tree` and returns its node index. */
function grow(tree: Tree, rows: Uint32Array, depth: number, ctx: GrowContext): number {
  const { grad, hess, parameters } = ctx;
  let g = 0;
  let h = 0;
  for (const i of rows) {
    g += grad[i]!;
    h += hess[i]!;
  }
  const node = tree.feature.length;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push((-g / (h + parameters.lambda)) * parameters.learningRate);
  if (depth >= parameters.maxDepth || h < 2 * parameters.minChildWeight) return node;

  const parentScore = (g * g) / (h + parameters.lambda);
  let bestGain = 1e-9;
  let bestFeature = -1;
  let bestBin = -1;
  const binCount = parameters.maxBins;
  const gHist = new Float64Array(binCount);
  const hHist = new Float64Array(binCount);
  for (let f = 0; f < ctx.featureCount; f++) {
    const cuts = ctx.cuts[f]!;
    if (cuts.length === 0) continue;
    gHist.fill(0);
    hHist.fill(0);
    const b = ctx.bins[f]!;
    for (const i of rows) {
      gHist[b[i]!]! += grad[i]!;
      hHist[b[i]!]! += hess[i]!;
    }
    let gl = 0;
    let hl = 0;
    for (let bin = 0; bin < cuts.length; bin++) {
      gl += gHist[bin]!;
      hl += hHist[bin]!;
      const gr = g - gl;
      const hr = h - hl;
      if (hl < parameters.minChildWeight || hr < parameters.minChildWeight) continue;
      const gain = (gl * gl) / (hl + parameters.lambda) + (gr * gr) / (hr + parameters.lambda) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        bestFeature = f;
        bestBin = bin;
      }
    }
  }
  if (bestFeature < 0) return node;

  const b = ctx.bins[bestFeature]!;
  let leftCount = 0;
  for (const i of rows) if (b[i]! <= bestBin) leftCount++;
  const leftRows = new Uint32Array(leftCount);
  const rightRows = new Uint32Array(rows.length - leftCount);
  let l = 0;
  let r = 0;
  for (const i of rows) {
    if (b[i]! <= bestBin) leftRows[l++] = i;
    else rightRows[r++] = i;
  }
  tree.feature[node] = bestFeature;
  tree.threshold[node] = ctx.cuts[bestFeature]![bestBin]!;
  tree.left[node] = grow(tree, leftRows, depth + 1, ctx);
  tree.right[node] = grow(tree, rightRows, depth + 1, ctx);
  return node;
}

/**
 * How much each feature moved this prediction's margin: along the path of every tree, the change in
 * node value at each split is credited to the split's feature (Saabas attribution).
 */
export function contributions(model: BoostedTrees, x: ArrayLike<number>): Map<number, number> {
  const byFeature = new Map<number, number>();
  for (const tree of model.trees) {
    let node = 0;
    while (tree.feature[node]! >= 0) {
      const feature = tree.feature[node]!;
      const next = x[feature]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      byFeature.set(feature, (byFeature.get(feature) ?? 0) + tree.value[next]! - tree.value[node]!);
      node = next;
    }
  }
  return byFeature;
}
